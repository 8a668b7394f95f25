-- Erases a student's recommendations (cache, history, feedback) and keeps the erasure time under
-- the pseudonymous tag (the marker the mastery store keeps too; the latest time wins), so a
-- record racing the erasure is refused.
-- KEYS: 1 cache, 2 served, 3 order, 4 feedback, 5 erased marker
-- ARGV: 1 erasure time (ms), 2 erasure retention (s)
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
local previous = redis.call('GET', KEYS[5])
local at = ARGV[1]
if previous and tonumber(previous) > tonumber(at) then at = previous end
redis.call('SET', KEYS[5], at, 'EX', ARGV[2])
return 1
