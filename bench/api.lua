-- wrk script for bench/api.ts: POSTs a JSON body with a Bearer token, rotating over pre-minted
-- (token, student) pairs so neither the rate limiter nor Redis sees one hot key.
-- Usage: wrk -t2 -c64 -d10s --latency -s bench/api.lua http://127.0.0.1:PORT/path -- PAIRS_FILE
-- PAIRS_FILE: one "token<TAB>student_id" per line.
-- done() prints one line "BENCH_RESULT {json}" that bench/api.ts parses; status errors there are
-- wrk's own count of responses with status > 399, so no response() callback is needed (defining
-- one makes wrk hand every body to Lua, which costs the load generator CPU it shares with the
-- servers on a 2-core machine).

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local requests = {}
local n = 0
local i = 0

function init(args)
  local file = args[1]
  if not file then error("bench/api.lua: pass the pairs file after --") end
  for line in io.lines(file) do
    local token, student = line:match("^(%S+)\t(%S+)$")
    if token then
      n = n + 1
      -- Formatted once here: request() then only picks a prebuilt string.
      requests[n] = wrk.format("POST", nil, {
        ["Content-Type"] = "application/json",
        ["Authorization"] = "Bearer " .. token,
      }, '{"student_id":"' .. student .. '"}')
    end
  end
  if n == 0 then error("bench/api.lua: no pairs in " .. file) end
  -- Threads start at different offsets so they do not walk the list in lockstep.
  i = (id * 7919) % n
end

function request()
  i = i % n + 1
  return requests[i]
end

function done(summary, latency, _)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p75":%d,"p90":%d,"p95":%d,"p99":%d,"max":%d,"mean":%.1f}}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(75), latency:percentile(90), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean))
end
