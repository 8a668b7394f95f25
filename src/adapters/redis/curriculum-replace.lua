-- Compare-and-set of a tenant's curriculum: written only when the stored version is the expected one.
-- KEYS: 1 the tenant's curriculum hash
-- ARGV: 1 expected version, 2 document JSON, 3 updated at (ms), 4 updated by, 5 the new revision (random)
-- Returns the new version (> 0), or minus the current version when it is not the expected one.
local current = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if current ~= tonumber(ARGV[1]) then return -current end
redis.call('HSET', KEYS[1], 'version', current + 1, 'revision', ARGV[5], 'document', ARGV[2], 'updated_at', ARGV[3], 'updated_by', ARGV[4])
return current + 1
