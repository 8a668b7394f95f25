-- Files a prediction in the student's cache hash. The hash holds the entries of one fingerprint
-- (field '~f'); a put under another fingerprint, or one that would pass the cap, starts it afresh,
-- so entries of evidence that has since changed never pile up. A put of data read at or before the
-- student's erasure (field '~e') is refused: it would bring the student back.
-- KEYS: 1 the student's prediction cache hash
-- ARGV: 1 fingerprint, 2 request field, 3 `${cachedAt}|${json}`, 4 cachedAt (ms), 5 TTL (s), 6 max entries
local erased = redis.call('HGET', KEYS[1], '~e')
if erased and tonumber(ARGV[4]) <= tonumber(erased) then return 0 end
if redis.call('HGET', KEYS[1], '~f') ~= ARGV[1] or redis.call('HLEN', KEYS[1]) > tonumber(ARGV[6]) then
  redis.call('DEL', KEYS[1])
  if erased then redis.call('HSET', KEYS[1], '~e', erased) end
  redis.call('HSET', KEYS[1], '~f', ARGV[1])
end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
