-- Lists unscored predictions whose target day is from ARGV[4] to ARGV[1], oldest first, with their entries.
-- A member whose entry is gone (past the retention, or erased between the two steps of a write)
-- is dropped from the index on the way.
-- KEYS: 1 the tenant's due index
-- ARGV: 1 latest target day number, 2 limit, 3 prefix of the students' log hashes, 4 earliest target day number
-- Returns member, entry JSON, member, entry JSON, ...
local limit = tonumber(ARGV[2])
local out = {}
local offset = 0
while #out < limit * 2 do
  local members = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[4], ARGV[1], 'LIMIT', offset, limit)
  if #members == 0 then break end
  for _, member in ipairs(members) do
    local bar = string.find(member, '|', 1, true)
    local raw = redis.call('HGET', ARGV[3] .. string.sub(member, 1, bar - 1), string.sub(member, bar + 1))
    if raw then
      offset = offset + 1
      if #out < limit * 2 then
        table.insert(out, member)
        table.insert(out, raw)
      end
    else
      redis.call('ZREM', KEYS[1], member)
    end
  end
end
return out
