-- Reserves a block of hits (a lease) in a fixed window, atomically, in one round trip.
-- KEYS: 1 the limiter key's hash (see rateLimitKey)
-- ARGV: 1 window length (s), 2 window index, 3 TTL (ms): time left in the window plus slack,
--       4 hits reserved
-- Returns the last reserved hit's position in the window, counting from 1: the caller owns the
-- positions from it minus ARGV[4] plus 1 up to it, which no other caller is given.
local windowField = ARGV[1] .. ':window'
local countField = ARGV[1] .. ':count'
local stored = tonumber(redis.call('HGET', KEYS[1], windowField))
-- Only a later window resets: a replica whose clock lags counts into the window a faster one
-- already opened, instead of resetting it back and forth around the boundary.
if not stored or tonumber(ARGV[2]) > stored then
  redis.call('HSET', KEYS[1], windowField, ARGV[2], countField, 0)
end
local count = redis.call('HINCRBY', KEYS[1], countField, ARGV[4])
-- Only extend: the same key may carry a longer window whose count must outlive this one's.
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return count
