-- Erases a student atomically: every data key goes (the topics hash holds the consent too), and
-- the erasure time stays (under the pseudonymous tag only) for the erasure retention, so late
-- events from before it are refused.
-- KEYS: 1 topics, 2 history, 3 events, 4 erased marker
-- ARGV: 1 erasure time (ms), 2 erasure retention (s)
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
local previous = redis.call('GET', KEYS[4])
local at = ARGV[1]
if previous and tonumber(previous) > tonumber(at) then at = previous end
redis.call('SET', KEYS[4], at, 'EX', ARGV[2])
return 1
