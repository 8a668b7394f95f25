-- Scores one remembered prediction exactly once: marks the entry, leaves the due index and adds
-- the sample to the tenant's sums for its target day, all in one step, so replicas scoring the
-- same prediction at once count it once.
-- KEYS: 1 the student's log hash, 2 the tenant's due index, 3 the tenant's sums for the target day
-- ARGV: 1 field, 2 due member, 3 actual, 4 scored at (ms), 5 TTL of the sums (s), then sum name, value, ...
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 'unknown' end
local entry = cjson.decode(raw)
if entry.actual ~= nil then return 'already_scored' end
entry.actual = tonumber(ARGV[3])
entry.scoredAt = tonumber(ARGV[4])
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(entry))
redis.call('ZREM', KEYS[2], ARGV[2])
for i = 6, #ARGV, 2 do redis.call('HINCRBYFLOAT', KEYS[3], ARGV[i], ARGV[i + 1]) end
if redis.call('TTL', KEYS[3]) < tonumber(ARGV[5]) then redis.call('EXPIRE', KEYS[3], ARGV[5]) end
return 'scored'
