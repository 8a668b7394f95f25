-- Appends already-chained audit records to a tenant's stream, but only if the stream's last record
-- is still the one the caller chained from (optimistic concurrency: one linear chain, no fork).
-- Records older than the retention are removed here, and the last one removed becomes the anchor,
-- so a verifier can tell trimming from deletion; the head is kept apart so a cut tail shows.
-- KEYS: 1 stream, 2 head, 3 anchor
-- ARGV: 1 expected head `seq|hash` ('' for an empty chain), 2 retention cutoff (ms),
--       3 new head `seq|hash`, 4 number of field/value items per record, then the records' items
-- Returns 1 appended, 0 conflict.
local head = redis.call('GET', KEYS[2]) or ''
if head ~= ARGV[1] then return 0 end
local function field(entry, name)
  local f = entry[2]
  for j = 1, #f, 2 do if f[j] == name then return f[j + 1] end end
end
-- Records are in time order: read from the oldest until one is inside the retention.
local cutoff = tonumber(ARGV[2])
local expired = {}
local cursor = '-'
repeat
  local batch = redis.call('XRANGE', KEYS[1], cursor, '+', 'COUNT', 100)
  local done = #batch < 100
  for _, entry in ipairs(batch) do
    if tonumber(field(entry, 'at')) >= cutoff then done = true break end
    expired[#expired + 1] = entry
  end
  if #batch > 0 then cursor = '(' .. batch[#batch][1] end
until done or #expired >= 10000
if #expired > 0 then
  local last = expired[#expired]
  redis.call('SET', KEYS[3], field(last, 'seq') .. '|' .. field(last, 'hash'))
  for _, entry in ipairs(expired) do redis.call('XDEL', KEYS[1], entry[1]) end
end
local width = tonumber(ARGV[4])
local i = 5
while i <= #ARGV do
  local record = {}
  for j = 0, width - 1 do record[#record + 1] = ARGV[i + j] end
  redis.call('XADD', KEYS[1], '*', unpack(record))
  i = i + width
end
redis.call('SET', KEYS[2], ARGV[3])
return 1
