-- GET one page (BENCH_PATH) as the signed-in user whose cookie is BENCH_COOKIE (none: anonymous), accepting the
-- encodings of BENCH_ENCODING (none: wrk sends no Accept-Encoding, and the answer comes uncompressed).
dofile(os.getenv("BENCH_WRK_DIR") .. "/result.lua")

wrk.method = "GET"
wrk.path = os.getenv("BENCH_PATH")
local cookie = os.getenv("BENCH_COOKIE")
if cookie and cookie ~= "" then
   wrk.headers["Cookie"] = cookie
end
local encoding = os.getenv("BENCH_ENCODING")
if encoding and encoding ~= "" then
   wrk.headers["Accept-Encoding"] = encoding
end
