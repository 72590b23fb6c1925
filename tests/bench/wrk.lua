-- wrk script for make bench (tests/bench/run.py sets the environment).
--   WRK_EXPECT   status every response must have (200 for pages, 303 for a submit)
--   WRK_BODY     set for a submit: the form body; "&submit_token=<tag>-<thread>-<n>" is
--                appended, so every POST is a new request, never an idempotent replay
--   WRK_TAG      makes the submit tokens of this run unique
--   WRK_COOKIES  optional, "|"-separated Cookie headers used in turn (one per session)
-- done() prints one line "BENCH_JSON {...}" that run.py reads.

local expect = tonumber(os.getenv("WRK_EXPECT") or "200")
local body = os.getenv("WRK_BODY")
local tag = os.getenv("WRK_TAG") or "t"
local cookies = {}
for c in string.gmatch(os.getenv("WRK_COOKIES") or "", "[^|]+") do
  table.insert(cookies, c)
end

local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("tid", next_id)
  table.insert(threads, thread)
end

unexpected = 0
seen_status = 0
local n = 0

if body then
  function request()
    n = n + 1
    local headers = {}
    for k, v in pairs(wrk.headers) do headers[k] = v end
    if #cookies > 0 then headers["Cookie"] = cookies[(n % #cookies) + 1] end
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    local b = body .. "&submit_token=" .. tag .. "-" .. tostring(tid) .. "-" .. tostring(n)
    return wrk.format("POST", nil, headers, b)
  end
end

function response(status, headers, resp_body)
  if status ~= expect then
    unexpected = unexpected + 1
    seen_status = status
  end
end

function done(summary, latency, requests)
  local bad, last = 0, 0
  for _, t in ipairs(threads) do
    bad = bad + (t:get("unexpected") or 0)
    local s = t:get("seen_status") or 0
    if s ~= 0 then last = s end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "errors": %d, ' ..
    '"unexpected": %d, "unexpected_status": %d, "p50_us": %d, "p90_us": %d, ' ..
    '"p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect + e.read + e.write + e.status + e.timeout,
    bad, last,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
