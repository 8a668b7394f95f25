-- Records recalculated day snapshots of one student, each only while the topic's stored state is
-- still the one it was computed from (same event count and latest event time): an event applied
-- meanwhile wrote its own snapshot, and an erasure or expiry removed the topic (its snapshot must
-- not bring the history back). Touches nothing else: the history hash keeps its TTL, which the
-- topics hash shares (a history hash that lost it gets the topics hash's).
-- KEYS: topics hash, history hash (one student, one hash tag).
-- ARGV, per write: topic id, event count, latest event time (ms), history field, snapshot JSON,
--   N, then N history fields to look back through for the snapshot this one follows, newest
--   first, the first being the written field itself.
-- Returns two values per write: 1 written, 0 an identical snapshot was there, -1 stale; then the
-- snapshot it follows as it was before the write (JSON), or false when there is none or stale.
-- Reads and writes are gathered into one HMGET per hash and one HSET: each redis.call costs more
-- than the work it does.

-- Whether the state JSON holds `"key":value` as a whole value (JSON.stringify writes no spaces);
-- much cheaper than decoding the state.
local function holds(raw, key, value)
  local _, e = string.find(raw, '"' .. key .. '":' .. value, 1, true)
  if not e then return false end
  local after = string.sub(raw, e + 1, e + 1)
  return after == ',' or after == '}'
end

local writes = {}
local topics = {}
local fields = {}
local a = 0
while a < #ARGV do
  local n = tonumber(ARGV[a + 6])
  local w = { at = a, n = n, first = #fields + 1 }
  writes[#writes + 1] = w
  topics[#topics + 1] = ARGV[a + 1]
  for i = 1, n do fields[#fields + 1] = ARGV[a + 6 + i] end
  a = a + 6 + n
end

local states = redis.call('HMGET', KEYS[1], unpack(topics))
local history = {}
if #fields > 0 then history = redis.call('HMGET', KEYS[2], unpack(fields)) end

local out = {}
local sets = {}
for k, w in ipairs(writes) do
  local raw = states[k]
  local code = -1
  local previous = false
  if raw and holds(raw, 'eventCount', ARGV[w.at + 2]) and holds(raw, 'lastAt', ARGV[w.at + 3]) then
    for i = 0, w.n - 1 do
      previous = history[w.first + i]
      if previous then break end
    end
    -- The first field looked at is the written one: what it holds now decides "unchanged".
    if w.n > 0 and history[w.first] == ARGV[w.at + 5] then
      code = 0
    else
      sets[#sets + 1] = ARGV[w.at + 4]
      sets[#sets + 1] = ARGV[w.at + 5]
      code = 1
    end
  end
  out[#out + 1] = code
  out[#out + 1] = previous
end

if #sets > 0 then
  redis.call('HSET', KEYS[2], unpack(sets))
  if redis.call('PTTL', KEYS[2]) == -1 then
    local ttl = redis.call('PTTL', KEYS[1])
    if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
  end
end
return out
