-- Erases one student from one batch: their result becomes an empty string (so offsets, and the
-- cursors made from them, stay as they were) and their id leaves every error group's examples.
-- Counts are left as they are: they name no one. The student's pseudonym joins the batch's erased
-- set, so a chunk counted later (batch-record.lua) keeps neither their result nor their id.
-- KEYS: meta hash, results list, erased set (one hash tag).
-- ARGV: student id, their pseudonym.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local id = ARGV[1]
redis.call('SADD', KEYS[3], ARGV[2])
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then redis.call('PEXPIRE', KEYS[3], ttl) end
local results = redis.call('LRANGE', KEYS[2], 0, -1)
for i, raw in ipairs(results) do
  if raw ~= '' and cjson.decode(raw).studentId == id then redis.call('LSET', KEYS[2], i - 1, '') end
end
local fields = redis.call('HKEYS', KEYS[1])
for _, field in ipairs(fields) do
  if string.sub(field, 1, 5) == 'errs:' then
    local kept = {}
    for sample in string.gmatch(redis.call('HGET', KEYS[1], field), '[^,]+') do
      if sample ~= id then kept[#kept + 1] = sample end
    end
    redis.call('HSET', KEYS[1], field, table.concat(kept, ','))
  end
end
return 1
