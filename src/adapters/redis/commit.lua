-- Commits one applied event for one student, atomically: the erasure and consent checks, the
-- idempotency check, an optimistic version check on the topic, the new state, the day snapshot,
-- the idempotency record, and once a day the TTLs and the pruning of old idempotency records.
-- KEYS: 1 topics hash, 2 history hash, 3 events zset, 4 profile hash, 5 erased marker
-- ARGV: 1 event id, 2 topic id, 3 expected version, 4 state JSON, 5 history field, 6 snapshot JSON,
--       7 now (ms), 8 idempotency cutoff (ms), 9 state TTL (s), 10 occurred_at (ms),
--       11 consent by default ('1' or '0'), 12 today (days since epoch, of `now`)
-- Returns 1 applied, 0 duplicate, -1 version conflict (the caller re-reads and tries again),
-- 2 occurred before the student's erasure, 3 no consent.
local erased = redis.call('GET', KEYS[5])
if erased and tonumber(ARGV[10]) <= tonumber(erased) then return 2 end
local consent = redis.call('HGET', KEYS[4], 'analytics')
if consent == '0' or (not consent and ARGV[11] == '0') then
  -- A refused event is still activity: a recorded withdrawal lives as long as the student is active.
  if consent then redis.call('EXPIRE', KEYS[4], ARGV[9]) end
  return 3
end
if redis.call('ZSCORE', KEYS[3], ARGV[1]) then return 0 end
-- '~renewed' (not a valid topic id) holds the day the TTLs were last renewed.
local found = redis.call('HMGET', KEYS[1], ARGV[2], '~renewed')
local version = 0
if found[1] then version = tonumber(string.match(found[1], '^(%d+)|')) end
if version ~= tonumber(ARGV[3]) then return -1 end
redis.call('HSET', KEYS[1], ARGV[2], (version + 1) .. '|' .. ARGV[4], '~renewed', ARGV[12])
redis.call('HSET', KEYS[2], ARGV[5], ARGV[6])
redis.call('ZADD', KEYS[3], ARGV[7], ARGV[1])
-- Renewing once a day keeps every key within STATE_TTL_DAYS of the last activity (at most a day
-- early) at a fraction of the cost of renewing on every event.
if found[2] ~= ARGV[12] then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. ARGV[8])
  redis.call('EXPIRE', KEYS[1], ARGV[9])
  redis.call('EXPIRE', KEYS[2], ARGV[9])
  redis.call('EXPIRE', KEYS[3], ARGV[9])
  if consent then redis.call('EXPIRE', KEYS[4], ARGV[9]) end
end
return 1
