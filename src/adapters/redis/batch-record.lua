-- Counts one chunk's outcome once: the chunk id joins the set of counted chunks, and only the call
-- that added it changes the counts, the error groups and the results. A redelivered chunk finds
-- its id there and changes nothing, whichever replica records it.
-- Students in the erased set (by pseudonym) are counted, but neither their result nor their id is kept.
-- KEYS: meta hash, done set, results list, erased set (one hash tag).
-- ARGV: chunk id, now (ms), error sample size, number of results R, number of failures F,
--   R result JSON strings, their R students' pseudonyms, then F triples (code, student id, pseudonym).
-- Returns {-1} unknown batch, {0} counted before, or {1, finished now (0/1)}.
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
if redis.call('SADD', KEYS[2], ARGV[1]) == 0 then return {0} end
local sample = tonumber(ARGV[3])
local r = tonumber(ARGV[4])
local f = tonumber(ARGV[5])
redis.call('HINCRBY', KEYS[1], 'succeeded', r)
redis.call('HINCRBY', KEYS[1], 'failed', f)
local processed = redis.call('HINCRBY', KEYS[1], 'processed', r + f)
for i = 1, f do
  local code = ARGV[5 + 2 * r + 3 * i - 2]
  local id = ARGV[5 + 2 * r + 3 * i - 1]
  local pseudonym = ARGV[5 + 2 * r + 3 * i]
  redis.call('HINCRBY', KEYS[1], 'err:' .. code, 1)
  -- The examples kept, counted (an erasure may have taken some out).
  local ids = redis.call('HGET', KEYS[1], 'errs:' .. code)
  local samples = 0
  if ids then for _ in string.gmatch(ids, '[^,]+') do samples = samples + 1 end end
  if samples < sample and redis.call('SISMEMBER', KEYS[4], pseudonym) == 0 then
    if ids and ids ~= '' then ids = ids .. ',' .. id else ids = id end
    redis.call('HSET', KEYS[1], 'errs:' .. code, ids)
  end
end
-- The set and the list are made here, after the record; they expire with it.
local ttl = redis.call('PTTL', KEYS[1])
local kept = {}
for i = 6, 5 + r do
  if redis.call('SISMEMBER', KEYS[4], ARGV[i + r]) == 0 then kept[#kept + 1] = ARGV[i] end
end
if #kept > 0 then
  for i = 1, #kept, 1000 do
    redis.call('RPUSH', KEYS[3], unpack(kept, i, math.min(i + 999, #kept)))
  end
  if ttl > 0 then redis.call('PEXPIRE', KEYS[3], ttl) end
end
if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
local finished = 0
if processed >= tonumber(redis.call('HGET', KEYS[1], 'total')) and redis.call('HSETNX', KEYS[1], 'finishedAt', ARGV[2]) == 1 then finished = 1 end
return {1, finished}
