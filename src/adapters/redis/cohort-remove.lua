-- Takes a student off every roster of a tenant and remembers the erasure by pseudonym, in one
-- step, so no roster write can slip between the two. Every key is declared (a Redis Cluster
-- guarantees only declared keys during a slot migration): the caller lists the cohorts first and
-- passes their student sets; a cohort created since makes the script write nothing and answer 0,
-- and the caller lists again.
-- KEYS: 1 cohorts hash, 2 erased-students zset, 3.. the student set of each cohort the caller saw
-- ARGV: 1 student-set key prefix, 2 student id, 3 pseudonym, 4 erasure time (ms), 5 erasure retention (s)
-- Returns 1 done, 0 a cohort is missing from KEYS.
local declared = {}
for i = 3, #KEYS do declared[KEYS[i]] = true end
for _, cohort in ipairs(redis.call('HKEYS', KEYS[1])) do
  if not declared[ARGV[1] .. cohort] then return 0 end
end
for i = 3, #KEYS do redis.call('SREM', KEYS[i], ARGV[2]) end
redis.call('ZADD', KEYS[2], 'GT', ARGV[4], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[5])
return 1
