-- Shared by the bench scripts: one parsable line per run. `extra` is a script's own count per second (successful
-- sign-ins, reported incidents), summed over wrk's threads from the global `ok` each thread keeps.
local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function done(summary, latency, requests)
   local seconds = summary.duration / 1e6
   local e = summary.errors
   local errors = e.connect + e.read + e.write + e.timeout + e.status
   local ok = 0
   for _, thread in ipairs(threads) do
      ok = ok + (thread:get("ok") or 0)
      errors = errors + (thread:get("failed") or 0)
   end
   io.write(string.format("RESULT %.1f %.2f %.2f %d %d %.1f\n", summary.requests / seconds,
      latency:percentile(50) / 1000, latency:percentile(99) / 1000, errors, summary.requests, ok / seconds))
end
