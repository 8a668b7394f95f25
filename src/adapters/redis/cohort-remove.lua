-- Takes a student off every roster of a tenant and remembers the erasure by pseudonym, in one
-- step, so no roster write can slip between the two. The student sets are found through the
-- cohorts hash; they share the tenant's hash tag, so they live in the same cluster slot.
-- KEYS: 1 cohorts hash, 2 erased-students zset
-- ARGV: 1 student-set key prefix, 2 student id, 3 pseudonym, 4 erasure time (ms), 5 erasure retention (s)
for _, cohort in ipairs(redis.call('HKEYS', KEYS[1])) do
  redis.call('SREM', ARGV[1] .. cohort, ARGV[2])
end
redis.call('ZADD', KEYS[2], 'GT', ARGV[4], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[5])
return 1
