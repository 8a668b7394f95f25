-- Reads the entries of candidate unscored predictions (members of the tenant's due index the
-- caller listed) and drops from the index, on the way, a member whose entry is gone (past the
-- retention, or erased between the two steps of a write). Every key is declared, as a Redis
-- Cluster requires during a slot migration: the caller passes each member's log hash.
-- KEYS: 1 the tenant's due index, then per member: the student's log hash
-- ARGV: per member: the member `${pseudonym}|${field}`
-- Returns member, entry JSON, member, entry JSON, ... for the members whose entry is there.
local out = {}
for i, member in ipairs(ARGV) do
  local bar = string.find(member, '|', 1, true)
  local raw = redis.call('HGET', KEYS[i + 1], string.sub(member, bar + 1))
  if raw then
    table.insert(out, member)
    table.insert(out, raw)
  else
    redis.call('ZREM', KEYS[1], member)
  end
end
return out
