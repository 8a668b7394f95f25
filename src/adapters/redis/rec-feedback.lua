-- Replaces the feedback on a served recommendation that is still within the retention; the
-- feedback key expires with the served records, so it never outlives what it is about.
-- KEYS: 1 served, 2 feedback
-- ARGV: 1 recommendation id, 2 feedback JSON, 3 cutoff (ms): records served at or before it are gone
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local bar = string.find(raw, '|', 1, true)
if tonumber(string.sub(raw, 1, bar - 1)) <= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
return 1
