-- Records recalculated day snapshots of one student, each only while the topic's stored state is
-- still the one it was computed from (same event count and latest event time): an event applied
-- meanwhile wrote its own snapshot, and an erasure or expiry removed the topic (its snapshot must
-- not bring the history back). Touches nothing else: the history hash keeps its TTL, which the
-- topics hash shares (a history hash that lost it gets the topics hash's).
-- KEYS: topics hash, history hash (one student, one hash tag).
-- ARGV, per write: topic id, event count, latest event time (ms), history field, snapshot JSON,
--   N, then N history fields to look back through for the snapshot this one follows, newest first.
-- Returns two values per write: 1 written, 0 an identical snapshot was there, -1 stale; then the
-- snapshot it follows as it was before the write (JSON), or false when there is none or stale.
local out = {}
local a = 0
while a < #ARGV do
  local n = tonumber(ARGV[a + 6])
  local raw = redis.call('HGET', KEYS[1], ARGV[a + 1])
  local code = -1
  local previous = false
  if raw then
    local state = cjson.decode(string.sub(raw, string.find(raw, '|', 1, true) + 1))
    if state.eventCount == tonumber(ARGV[a + 2]) and state.lastAt == tonumber(ARGV[a + 3]) then
      for i = 1, n do
        previous = redis.call('HGET', KEYS[2], ARGV[a + 6 + i])
        if previous then break end
      end
      if redis.call('HGET', KEYS[2], ARGV[a + 4]) == ARGV[a + 5] then
        code = 0
      else
        redis.call('HSET', KEYS[2], ARGV[a + 4], ARGV[a + 5])
        code = 1
      end
    end
  end
  out[#out + 1] = code
  out[#out + 1] = previous
  a = a + 6 + n
end
if redis.call('PTTL', KEYS[2]) == -1 then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
end
return out
