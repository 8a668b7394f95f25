-- Erases a student atomically: every data key goes, and the erasure time stays (under the
-- pseudonymous tag only) for the erasure retention, so late events from before it are refused.
-- A consent withdrawal stays too, without a TTL: it is the student's standing "do not process".
-- KEYS: 1 topics, 2 history, 3 events, 4 erased marker, 5 consent
-- ARGV: 1 erasure time (ms), 2 erasure retention (s)
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
local consent = redis.call('GET', KEYS[5])
if consent and string.sub(consent, 1, 1) ~= '0' then redis.call('DEL', KEYS[5]) end
local previous = redis.call('GET', KEYS[4])
local at = ARGV[1]
if previous and tonumber(previous) > tonumber(at) then at = previous end
redis.call('SET', KEYS[4], at, 'EX', ARGV[2])
return 1
