-- Marks a batch started by a chunk, unless it was cancelled.
-- KEYS: meta hash. ARGV: now (ms).
-- Returns -1 unknown batch, 0 cancelled, 1 running, 2 running and this was the first start.
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HEXISTS', KEYS[1], 'cancelledAt') == 1 then return 0 end
if redis.call('HSETNX', KEYS[1], 'startedAt', ARGV[1]) == 1 then return 2 end
return 1
