-- Remembers served predictions of one student: the first per (target day, topic) stays, and each
-- new one joins the tenant's due index in the same step. Predictions served at or before the
-- student's erasure ('~e') are refused. Entries past the retention go first.
-- KEYS: 1 the student's log hash, 2 the tenant's due index
-- ARGV: 1 pseudonym, 2 TTL (s) the keys need at least, 3 oldest target day kept (YYYY-MM-DD),
--       4 that day as a day number, then per prediction: field, served at (ms), target day number, JSON
local erased = redis.call('HGET', KEYS[1], '~e')
for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
  if field ~= '~e' and string.sub(field, 1, 10) < ARGV[3] then redis.call('HDEL', KEYS[1], field) end
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[4])
local added = 0
for i = 5, #ARGV, 4 do
  if not (erased and tonumber(ARGV[i + 1]) <= tonumber(erased)) and redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 3]) == 1 then
    redis.call('ZADD', KEYS[2], ARGV[i + 2], ARGV[1] .. '|' .. ARGV[i])
    added = added + 1
  end
end
if added > 0 then
  for _, key in ipairs(KEYS) do
    if redis.call('TTL', key) < tonumber(ARGV[2]) then redis.call('EXPIRE', key, ARGV[2]) end
  end
end
return added
