-- A page of a student's audit index (audit-append.lua): the seqs from ARGV[1] on, at most ARGV[2]
-- of them. The list is in ascending order, so a binary search finds the first, then one LRANGE.
-- KEYS: 1 the index (a list)
-- ARGV: 1 first seq wanted, 2 how many at most (at least 1)
local from = tonumber(ARGV[1])
local lo, hi = 0, redis.call('LLEN', KEYS[1])
while lo < hi do
  local mid = math.floor((lo + hi) / 2)
  if tonumber(redis.call('LINDEX', KEYS[1], mid)) < from then lo = mid + 1 else hi = mid end
end
return redis.call('LRANGE', KEYS[1], lo, lo + tonumber(ARGV[2]) - 1)
