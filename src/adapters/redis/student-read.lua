-- Reads what a batch recalculation starts from, for several students in one call: each one's
-- topics hash (every field, as HGETALL) and consent string. A call per student cost the service
-- more than the reads themselves (a command, a promise and a reply each, twice per student).
-- KEYS, 2 per student: topics hash, consent (one student, one hash tag).
-- Returns one array per student: the topics hash's fields and values, flat; then the consent
-- value, or false when there is none.
local out = {}
for k = 1, #KEYS, 2 do
  out[#out + 1] = { redis.call('HGETALL', KEYS[k]), redis.call('GET', KEYS[k + 1]) }
end
return out
