-- Appends already-chained audit records to a tenant's stream, but only if the chain's head is
-- still the one the caller chained from (optimistic concurrency: one linear chain, no fork).
-- Each record's stream id is 0-(seq+1), so a page of the chain is one XRANGE from a sequence
-- number. Records about a student also go into that pseudonym's index, a list of their seqs in
-- ascending order (RPUSH at the tail: an O(1) append that touches only the list's last node, where
-- a sorted set cost Redis four times as much per entry and about twenty times the memory; ADR
-- 0021), so a student's entries are found without reading the whole log. Records older than the
-- retention are removed here, and from the head of their student's index, and the last one
-- removed becomes the anchor, so a verifier can tell trimming from deletion; the head is kept
-- apart so a cut tail shows. Like the stream, an index has no TTL: it holds exactly the seqs of
-- its student's retained records, and goes (an empty list is no key) with the last of them.
-- Every index key it touches must be declared (a Redis Cluster guarantees only declared keys
-- during a slot migration): the caller declares the new records' indexes, and when trimming meets
-- a student whose index it did not declare, the script writes nothing and names the missing ones.
-- KEYS: 1 stream, 2 head, 3 anchor, 4.. the student indexes the caller expects to touch
-- ARGV: 1 expected head `seq|hash` ('' for an empty chain), 2 retention cutoff (ms),
--       3 new head `seq|hash`, 4 index key prefix, then each record's values: seq, at, actor,
--       action, target ('' for none), request_id, outcome, prev, hash
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
  -- Per student: how many of their records go, and the newest of them.
  local trimmed = {}
  for _, entry in ipairs(expired) do
    redis.call('XDEL', KEYS[1], entry[1])
    local target = field(entry, 'target')
    if target and target ~= '' then
      local t = trimmed[target]
      if not t then
        t = { count = 0 }
        trimmed[target] = t
        trimmed[#trimmed + 1] = target
      end
      t.count = t.count + 1
      t.last = tonumber(field(entry, 'seq'))
    end
  end
  -- Out of the students' indexes too, so paging their entries never walks over trimmed ones. The
  -- trimmed seqs are the oldest of each index, at its head: those at or below the newest go.
  for _, target in ipairs(trimmed) do
    local index, t = ARGV[4] .. target, trimmed[target]
    local head = redis.call('LRANGE', index, 0, t.count - 1)
    local n = 0
    while n < #head and tonumber(head[n + 1]) <= t.last do n = n + 1 end
    if n > 0 then redis.call('LTRIM', index, n, -1) end
  end
end
-- Each record's nine values in the stream's field order (the field names are written here, not
-- passed: half the arguments per record, each a cost to Redis and the client).
for i = 5, #ARGV, 9 do
  local seq, target = ARGV[i], ARGV[i + 4]
  redis.call('XADD', KEYS[1], '0-' .. (tonumber(seq) + 1), 'seq', seq, 'at', ARGV[i + 1], 'actor', ARGV[i + 2], 'action', ARGV[i + 3],
    'target', target, 'request_id', ARGV[i + 5], 'outcome', ARGV[i + 6], 'prev', ARGV[i + 7], 'hash', ARGV[i + 8])
  if target ~= '' then redis.call('RPUSH', ARGV[4] .. target, seq) end
end
redis.call('SET', KEYS[2], ARGV[3])
return 1
