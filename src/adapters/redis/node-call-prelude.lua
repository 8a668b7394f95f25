#!lua flags=allow-cross-slot-keys
-- Put before a batched script (student-script-batcher.ts) when it is sent to one Redis Cluster
-- node for students of several hash slots that node serves. Redis refuses declared keys of
-- several slots (CROSSSLOT) before a script runs, so the keys travel at the end of ARGV instead:
-- ARGV: the script's own arguments, then its keys, then the keys per student, then the key count.
-- The batched scripts never read #ARGV, so the extra arguments at the end change nothing for them;
-- KEYS below takes the place of the declared keys for the rest of the script.
-- Redis checks each command's keys as the script runs: a key of a slot this node does not serve,
-- or a missing key of a slot moving away (it may be on the other node already), raises an error
-- there. A script stopped half-way keeps what it wrote, so each student's slot is checked before
-- anything is written: an EXISTS of a key that is never written (the student's first key and '~',
-- in the same slot as every key of the student's hash tag) passes only when this node serves the
-- slot and the slot is not moving. If any fails, the call answers TRYAGAIN having written
-- nothing, and the caller sends its students again through the cluster client, slot by slot,
-- which follows the redirections (and, while a slot moves, Redis's ASK and TRYAGAIN).
local KEYS = {}
do
  local n, per = tonumber(ARGV[#ARGV]), tonumber(ARGV[#ARGV - 1])
  local from = #ARGV - 2 - n
  for i = 1, n do KEYS[i] = ARGV[from + i] end
  for i = 1, n, per do
    if type(redis.pcall('EXISTS', KEYS[i] .. '~')) == 'table' then
      return redis.error_reply('TRYAGAIN keys of this call are not all served by this node')
    end
  end
end
