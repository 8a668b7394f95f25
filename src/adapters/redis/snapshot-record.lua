-- Records recalculated day snapshots of several students, one call for all: each snapshot only
-- while the topic's stored state is still the one it was computed from (same event count and
-- latest event time): an event applied meanwhile wrote its own snapshot, and an erasure or expiry
-- removed the topic (its snapshot must not bring the history back). Touches nothing else: the
-- history hash keeps its TTL, which the topics hash shares (a history hash that lost it gets the
-- topics hash's). Students are independent: each one's check and write is atomic (the whole call
-- is), and the call only gathers them so its cost is shared.
-- KEYS, 2 per student: topics hash, history hash (one student, one hash tag).
-- ARGV, per student: the count of arguments that follow for that student; D, then D days
--   (YYYY-MM-DD), newest first; then per write: topic id, event count, latest event time (ms),
--   snapshot JSON, F, N: the write is the field `topic|day F` (0-based in the days), and the
--   snapshot it follows is looked for in that field and the N - 1 before it (days F .. F + N - 1).
--   The days are sent once per student, not once per topic: the arguments cost more to send and
--   parse than the fields cost to build here.
-- Returns one array per student, two values per write: 1 written, 0 an identical snapshot was
-- there, -1 stale; then the snapshot it follows as it was before the write (JSON), or false when
-- there is none or stale.
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

-- One student: keys KEYS[k], KEYS[k + 1]; days and writes in ARGV[from + 1 .. to].
local function record(k, from, to)
  local d = tonumber(ARGV[from + 1])
  local days = {}
  for i = 1, d do days[i] = ARGV[from + 1 + i] end
  local writes = {}
  local topics = {}
  local fields = {}
  local a = from + 1 + d
  while a < to do
    local topic = ARGV[a + 1]
    local f = tonumber(ARGV[a + 5])
    local n = tonumber(ARGV[a + 6])
    writes[#writes + 1] = { at = a, n = n, first = #fields + 1 }
    topics[#topics + 1] = topic
    for i = 1, n do fields[#fields + 1] = topic .. '|' .. days[f + i] end
    a = a + 6
  end

  local states = redis.call('HMGET', KEYS[k], unpack(topics))
  local history = {}
  if #fields > 0 then history = redis.call('HMGET', KEYS[k + 1], unpack(fields)) end

  local out = {}
  local sets = {}
  for w_i, w in ipairs(writes) do
    local raw = states[w_i]
    local code = -1
    local previous = false
    if raw and holds(raw, 'eventCount', ARGV[w.at + 2]) and holds(raw, 'lastAt', ARGV[w.at + 3]) then
      for i = 0, w.n - 1 do
        previous = history[w.first + i]
        if previous then break end
      end
      -- The first field looked at is the written one: what it holds now decides "unchanged".
      if history[w.first] == ARGV[w.at + 4] then
        code = 0
      else
        sets[#sets + 1] = fields[w.first]
        sets[#sets + 1] = ARGV[w.at + 4]
        code = 1
      end
    end
    out[#out + 1] = code
    out[#out + 1] = previous
  end

  if #sets > 0 then
    redis.call('HSET', KEYS[k + 1], unpack(sets))
    if redis.call('PTTL', KEYS[k + 1]) == -1 then
      local ttl = redis.call('PTTL', KEYS[k])
      if ttl > 0 then redis.call('PEXPIRE', KEYS[k + 1], ttl) end
    end
  end
  return out
end

local results = {}
local a = 0
for k = 1, #KEYS, 2 do
  local count = tonumber(ARGV[a + 1])
  results[#results + 1] = record(k, a + 1, a + 1 + count)
  a = a + 1 + count
end
return results
