-- bench/api.lua with a random pause before each request on every connection, so the offered load
-- is about connections / (mean pause + latency) instead of "as fast as the server answers".
-- Latency under saturation is just queueing (connections / throughput); this measures it at a
-- load the server can carry. Pauses are exponential (Poisson arrivals per connection): a fixed
-- pause keeps all connections in step and turns the load into bursts of one request each.
-- Usage: ... -s bench/api-paced.lua URL -- PAIRS_FILE MEAN_PAUSE_MS
-- wrk decides whether delay() exists before init() runs, hence a script of its own.
dofile("bench/api.lua")

local pause = 0
local base_init = init

function init(args)
  base_init(args)
  pause = tonumber(args[2]) or error("bench/api-paced.lua: pass the mean pause in ms after the pairs file")
  math.randomseed(os.time() + id * 1000)
end

function delay()
  -- wrk truncates to whole milliseconds; +0.5 keeps the mean where it was asked.
  return -math.log(1 - math.random()) * pause + 0.5
end
