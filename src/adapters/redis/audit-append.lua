-- Appends already-chained audit records to a tenant's stream, but only if the chain's head is
-- still the one the caller chained from (optimistic concurrency: one linear chain, no fork).
-- Each record's stream id is 0-(seq+1), so a page of the chain is one XRANGE from a sequence
-- number. Records about a student also go into that pseudonym's index (a sorted set of seqs), so
-- a student's entries are found without reading the whole log. Records older than the retention
-- are removed here (and from their student's index), and the last one removed becomes the anchor,
-- so a verifier can tell trimming from deletion; the head is kept apart so a cut tail shows.
-- Every index key it touches must be declared (a Redis Cluster guarantees only declared keys
-- during a slot migration): the caller declares the new records' indexes, and when trimming meets
-- a student whose index it did not declare, the script writes nothing and names the missing ones.
-- KEYS: 1 stream, 2 head, 3 anchor, 4.. the student indexes the caller expects to touch
-- ARGV: 1 expected head `seq|hash` ('' for an empty chain), 2 retention cutoff (ms),
--       3 new head `seq|hash`, 4 index key prefix, 5 retention (s), 6 number of field/value items
--       per record, then the records' items (seq first, target fifth)
-- Returns 1 appended, 0 conflict, or the list of targets whose index was not declared.
local head = redis.call('GET', KEYS[2]) or ''
if head ~= ARGV[1] then return 0 end
local declared = {}
for i = 4, #KEYS do declared[KEYS[i]] = true end
local function field(entry, name)
  local f = entry[2]
  for j = 1, #f, 2 do if f[j] == name then return f[j + 1] end end
end
-- Records are in time order: read from the oldest until one is inside the retention.
local cutoff = tonumber(ARGV[2])
local expired = {}
local cursor = '-'
-- The oldest record is usually inside the retention: look at it alone before reading in bulk.
local count = 1
repeat
  local batch = redis.call('XRANGE', KEYS[1], cursor, '+', 'COUNT', count)
  local done = #batch < count
  count = 100
  for _, entry in ipairs(batch) do
    if tonumber(field(entry, 'at')) >= cutoff then done = true break end
    expired[#expired + 1] = entry
  end
  if #batch > 0 then cursor = '(' .. batch[#batch][1] end
until done or #expired >= 10000
local missing = {}
for _, entry in ipairs(expired) do
  local target = field(entry, 'target')
  if target and target ~= '' and not declared[ARGV[4] .. target] and not missing[target] then
    missing[target] = true
    missing[#missing + 1] = target
  end
end
if #missing > 0 then return missing end
if #expired > 0 then
  local last = expired[#expired]
  redis.call('SET', KEYS[3], field(last, 'seq') .. '|' .. field(last, 'hash'))
  for _, entry in ipairs(expired) do
    redis.call('XDEL', KEYS[1], entry[1])
    -- Out of the student's index too, so paging their entries never walks over trimmed ones.
    local target = field(entry, 'target')
    if target and target ~= '' then redis.call('ZREM', ARGV[4] .. target, field(entry, 'seq')) end
  end
end
local width = tonumber(ARGV[6])
local i = 7
-- Each index's TTL is renewed once per call, however many of its student's records it appends.
local indexes = {}
while i <= #ARGV do
  local record = {}
  for j = 0, width - 1 do record[#record + 1] = ARGV[i + j] end
  -- record = {'seq', seq, 'at', at, 'actor', actor, 'action', action, 'target', target, ...}
  local seq = tonumber(record[2])
  redis.call('XADD', KEYS[1], '0-' .. (seq + 1), unpack(record))
  if record[10] ~= '' then
    local index = ARGV[4] .. record[10]
    redis.call('ZADD', index, seq, seq)
    if not indexes[index] then
      indexes[index] = true
      indexes[#indexes + 1] = index
    end
  end
  i = i + width
end
for _, index in ipairs(indexes) do redis.call('EXPIRE', index, ARGV[5]) end
redis.call('SET', KEYS[2], ARGV[3])
return 1
