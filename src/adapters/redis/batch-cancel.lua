-- Cancels a batch that is not finished: chunks not yet started are skipped from now on.
-- KEYS: meta hash. ARGV: now (ms). Returns 0 for an unknown batch, else 1.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local counts = redis.call('HMGET', KEYS[1], 'processed', 'total')
if tonumber(counts[1]) < tonumber(counts[2]) then redis.call('HSETNX', KEYS[1], 'cancelledAt', ARGV[1]) end
return 1
