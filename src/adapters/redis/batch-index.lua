-- Lists a batch in its tenant's index, drops the entries already expired, and keeps the index
-- until its last batch expires. KEYS: the index (sorted set). ARGV: batch id, expiry (ms), now (ms).
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] then redis.call('PEXPIREAT', KEYS[1], last[2]) end
return 1
