-- Forgets a student's cached predictions: the hash keeps only the erasure time ('~e', the latest
-- wins), for the TTL, so a put of data read before the erasure is refused (prediction-cache-put.lua).
-- KEYS: 1 the student's prediction cache hash
-- ARGV: 1 erasure time (ms), 2 TTL (s)
local previous = redis.call('HGET', KEYS[1], '~e')
local at = ARGV[1]
if previous and tonumber(previous) > tonumber(at) then at = previous end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], '~e', at)
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
