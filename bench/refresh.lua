-- wrk script for bench/relay.mjs: POST refresh round trips, one token per request, round-robin
-- over a file of tokens (each wrk thread walks its own stride, so no two threads share a token
-- at the same time).
--   BENCH_MODE=relay   POST /refresh, Origin + X-Canvas-Relay: 1 + Cookie canvas_relay_rt=<line>
--   BENCH_MODE=canvas  POST /login/oauth2/token, form grant_type=refresh_token&...&refresh_token=<line>
--   BENCH_TOKENS (file, one token a line), BENCH_ORIGIN, BENCH_CLIENT_ID, BENCH_CLIENT_SECRET
local mode = os.getenv("BENCH_MODE")
local file = os.getenv("BENCH_TOKENS")
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  tokens = {}
  for line in io.lines(file) do
    if #line > 0 then tokens[#tokens + 1] = line end
  end
  step = tonumber(os.getenv("BENCH_THREADS") or "2")
  i = id + 1
  origin = os.getenv("BENCH_ORIGIN")
  form = "grant_type=refresh_token&client_id=" .. (os.getenv("BENCH_CLIENT_ID") or "") ..
    "&client_secret=" .. (os.getenv("BENCH_CLIENT_SECRET") or "") .. "&refresh_token="
end

function request()
  local token = tokens[i]
  i = i + step
  if i > #tokens then i = id + 1 end
  if mode == "relay" then
    return wrk.format("POST", "/refresh", {
      ["Origin"] = origin, ["X-Canvas-Relay"] = "1", ["Cookie"] = "canvas_relay_rt=" .. token,
    }, "")
  end
  return wrk.format("POST", "/login/oauth2/token", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, form .. token)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
