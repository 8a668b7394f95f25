-- Replaces one cohort whole, unless its roster names a student erased within the retention.
-- KEYS: 1 cohorts hash, 2 this cohort's student set, 3 erased-students zset
-- ARGV: 1 cohort id, 2 `{name, teacherIds}` JSON, 3 TTL (s), 4 erasure cutoff (ms),
--       5.. pairs of student id and pseudonym
-- Returns the erased student ids (nothing written), or an empty table (written).
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. ARGV[4])
local erased = {}
for i = 5, #ARGV, 2 do
  if redis.call('ZSCORE', KEYS[3], ARGV[i + 1]) then erased[#erased + 1] = ARGV[i] end
end
if #erased > 0 then return erased end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('DEL', KEYS[2])
for i = 5, #ARGV, 200 do
  local ids = {}
  for j = i, math.min(i + 198, #ARGV), 2 do ids[#ids + 1] = ARGV[j] end
  redis.call('SADD', KEYS[2], unpack(ids))
end
redis.call('EXPIRE', KEYS[1], ARGV[3])
if #ARGV >= 5 then redis.call('EXPIRE', KEYS[2], ARGV[3]) end
return {}
