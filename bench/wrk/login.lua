-- A sign-in storm, as browsers sign in: each POST /login follows a GET /login that gave a new browser its signed
-- sign-in cookie and CSRF token. The script alternates: GET /login harvests a cookie and token into a queue, and
-- the next request sends a POST with one of them, for the next of the BENCH_EMAILS (comma separated) in turn.
-- Many accounts keep the per-account throttle out of the way. `ok` counts sign-ins (303).
dofile(os.getenv("BENCH_WRK_DIR") .. "/result.lua")

local emails = {}
for email in string.gmatch(os.getenv("BENCH_EMAILS"), "[^,]+") do
   table.insert(emails, email)
end
local password = os.getenv("BENCH_PASSWORD")
local ready = {}
local next_email = 0
ok = 0
failed = 0

function request()
   local pair = table.remove(ready)
   if pair == nil then
      return wrk.format("GET", "/login", {})
   end
   next_email = next_email % #emails + 1
   local body = "email=" .. emails[next_email] .. "&password=" .. password .. "&csrf_token=" .. pair.token
   return wrk.format("POST", "/login",
      { ["Cookie"] = pair.cookie, ["Content-Type"] = "application/x-www-form-urlencoded" }, body)
end

function response(status, headers, body)
   if status == 200 then
      local cookie
      for name, value in pairs(headers) do
         if string.lower(name) == "set-cookie" then
            cookie = string.match(value, "^([^;]+)")
         end
      end
      local token = string.match(body, 'name="csrf_token" value="(%x+)"')
      if cookie and token then
         table.insert(ready, { cookie = cookie, token = token })
      else
         failed = failed + 1
      end
   elseif status == 303 then
      ok = ok + 1
   elseif status < 400 then
      failed = failed + 1
   end
end
