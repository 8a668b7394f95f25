-- Forgets a student's remembered predictions and takes them out of the tenant's due index in one
-- step; the hash keeps only the erasure time ('~e', the latest wins) for the retention, so a
-- prediction served before the erasure and remembered after it is refused. Sums stay: they hold
-- per-day totals of the tenant, no student's own values.
-- KEYS: 1 the student's log hash, 2 the tenant's due index
-- ARGV: 1 pseudonym, 2 erasure time (ms), 3 TTL (s)
for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
  if field ~= '~e' then redis.call('ZREM', KEYS[2], ARGV[1] .. '|' .. field) end
end
local previous = redis.call('HGET', KEYS[1], '~e')
local at = ARGV[2]
if previous and tonumber(previous) > tonumber(at) then at = previous end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], '~e', at)
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
