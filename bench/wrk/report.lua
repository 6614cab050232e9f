-- Reports incidents as the signed-in user of BENCH_COOKIE with that session's BENCH_CSRF token. Titles differ
-- and the duplicate warning is confirmed up front, so every POST is a new incident (303); `ok` counts them.
dofile(os.getenv("BENCH_WRK_DIR") .. "/result.lua")

local fields = os.getenv("BENCH_FORM") -- the fixed fields, urlencoded, without title
local counter = 0
ok = 0
failed = 0

wrk.method = "POST"
wrk.path = "/incidents"
wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"

function request()
   counter = counter + 1
   local title = string.format("Bench+incident+%d-%d+on+the+payment+gateway", os.time(), counter)
   return wrk.format(nil, nil, nil, fields .. "&title=" .. title)
end

function response(status, headers, body)
   if status == 303 then
      ok = ok + 1
   elseif status < 400 then
      failed = failed + 1 -- wrk counts only 4xx and 5xx as errors
   end
end
