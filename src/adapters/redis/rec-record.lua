-- Records a generated answer atomically: refused when the student was erased since the state was
-- read; answered with the cached set when a fresh one under the same key is already there; else
-- the set becomes the cache entry and its recommendations join the history, which is pruned of
-- records past the retention and of the oldest beyond the maximum.
-- KEYS: 1 cache, 2 served, 3 order, 4 feedback, 5 erased marker (the mastery store's)
-- ARGV: 1 answer key, 2 generated at (ms), 3 cache TTL (ms), 4 erased since (ms), 5 retention (ms),
--       6 max records, 7 cache value, 8.. pairs of recommendation id and stored value, in serving order
local erased = redis.call('GET', KEYS[5])
if erased and tonumber(erased) >= tonumber(ARGV[4]) then return {'erased'} end
local now = tonumber(ARGV[2])
local cached = redis.call('GET', KEYS[1])
if cached then
  local t1 = string.find(cached, '\t', 1, true)
  local t2 = string.find(cached, '\t', t1 + 1, true)
  if string.sub(cached, t1 + 1, t2 - 1) == ARGV[1] and now - tonumber(string.sub(cached, 1, t1 - 1)) < tonumber(ARGV[3]) then
    return {'existing', cached}
  end
end
redis.call('SET', KEYS[1], ARGV[7], 'PX', ARGV[3])
-- Pushed last to first, so the list reads newest set first and each set in its serving order.
for i = #ARGV - 1, 8, -2 do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  redis.call('LPUSH', KEYS[3], ARGV[2] .. '|' .. ARGV[i])
end
local cutoff = now - tonumber(ARGV[5])
local max = tonumber(ARGV[6])
-- The length is counted once and the pruned ids deleted in one HDEL per hash, in chunks (Lua's
-- unpack has a limit): a set of 24 served at a full history prunes 24, and per-record calls were
-- most of this script's work.
local len = redis.call('LLEN', KEYS[3])
local gone = {}
while len > 0 do
  local tail = redis.call('LINDEX', KEYS[3], -1)
  local bar = string.find(tail, '|', 1, true)
  if len <= max and tonumber(string.sub(tail, 1, bar - 1)) > cutoff then break end
  redis.call('RPOP', KEYS[3])
  len = len - 1
  gone[#gone + 1] = string.sub(tail, bar + 1)
end
for i = 1, #gone, 1000 do
  local chunk = {unpack(gone, i, math.min(i + 999, #gone))}
  redis.call('HDEL', KEYS[2], unpack(chunk))
  redis.call('HDEL', KEYS[4], unpack(chunk))
end
for k = 2, 4 do redis.call('PEXPIRE', KEYS[k], ARGV[5]) end
return {'recorded'}
