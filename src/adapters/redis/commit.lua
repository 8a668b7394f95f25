-- Commits applied events, each for one student and topic, atomically per event: the erasure and
-- consent checks, the idempotency check, an optimistic version check on the topic, the new state,
-- the day snapshot, the idempotency record, and once a day the TTLs and the pruning of old
-- idempotency records. One call carries every commit a process issued in the same tick, so the
-- per-call cost is shared. Commits in one call never share a student (the caller queues them).
-- Besides one field per topic, the topics hash holds '~renewed' (the day the TTLs were last
-- renewed; present once a commit succeeded), '~erased' (a copy of the erasure marker, so the
-- marker is read only when the hash is new) and '~v' (the version of the latest commit to any of
-- the student's topics: MasteryStore.evidenceToken reads it instead of every state). None is a
-- valid topic id.
-- KEYS, 5 per commit: topics hash, history hash, events zset, erased marker, consent
-- ARGV, 12 per commit: event id, topic id, expected version ('' when the writer saw no topic),
--   the topic's new stored value `${new version}|${state JSON}` (joined by the caller: Lua would
--   copy and hash the whole string again), history field, snapshot JSON, now (ms), idempotency
--   cutoff (ms), state TTL (s), occurred_at (ms), consent by default ('1' or '0'), today (days
--   since epoch, of `now`)
-- A version is an opaque token the writer draws at random (122 bits) for each commit, never a
-- counter: a counter restarts when an erasure deletes the hash, so a replica holding a cached
-- state from before the erasure would find its old version current again and write erased data
-- back. A token that never repeats cannot match anything but the write it names.
-- Returns one code per commit: 1 applied, 0 duplicate, -1 version conflict (the caller re-reads
-- and tries again; a duplicate sent with a stale version lands here too, and the re-read finds
-- its event id), 2 occurred before the student's erasure, 3 no consent.
-- Each redis.call costs about a microsecond on top of its command (arguments into Redis, the
-- reply back into Lua), more than most of the commands themselves: hence ZADD NX as the
-- idempotency check and record in one, and '~renewed' written only when it changes.
local function commit(k, a)
  local found = redis.call('HMGET', KEYS[k + 1], ARGV[a + 2], '~renewed', '~erased')
  local erased = found[3]
  if not found[2] then erased = redis.call('GET', KEYS[k + 4]) end
  if erased and tonumber(ARGV[a + 10]) <= tonumber(erased) then return 2 end
  local consent = redis.call('GET', KEYS[k + 5])
  if consent then consent = string.sub(consent, 1, 1) end
  if consent == '0' or (not consent and ARGV[a + 11] == '0') then return 3 end
  local version = ''
  if found[1] then version = string.match(found[1], '^([^|]*)|') end
  if version ~= ARGV[a + 3] then return -1 end
  if redis.call('ZADD', KEYS[k + 3], 'NX', ARGV[a + 7], ARGV[a + 1]) == 0 then return 0 end
  local renew = found[2] ~= ARGV[a + 12]
  local written = string.match(ARGV[a + 4], '^[^|]*')
  if not renew then
    redis.call('HSET', KEYS[k + 1], ARGV[a + 2], ARGV[a + 4], '~v', written)
  elseif erased and not found[3] then
    redis.call('HSET', KEYS[k + 1], ARGV[a + 2], ARGV[a + 4], '~v', written, '~renewed', ARGV[a + 12], '~erased', erased)
  else
    redis.call('HSET', KEYS[k + 1], ARGV[a + 2], ARGV[a + 4], '~v', written, '~renewed', ARGV[a + 12])
  end
  redis.call('HSET', KEYS[k + 2], ARGV[a + 5], ARGV[a + 6])
  -- Renewing once a day keeps every key within STATE_TTL_DAYS of the last activity (at most a
  -- day early) at a fraction of the cost of renewing on every event.
  if renew then
    redis.call('ZREMRANGEBYSCORE', KEYS[k + 3], '-inf', '(' .. ARGV[a + 8])
    redis.call('EXPIRE', KEYS[k + 1], ARGV[a + 9])
    redis.call('EXPIRE', KEYS[k + 2], ARGV[a + 9])
    redis.call('EXPIRE', KEYS[k + 3], ARGV[a + 9])
    if consent then redis.call('EXPIRE', KEYS[k + 5], ARGV[a + 9]) end
  end
  return 1
end

local codes = {}
for i = 0, #KEYS / 5 - 1 do codes[i + 1] = commit(i * 5, i * 12) end
return codes
