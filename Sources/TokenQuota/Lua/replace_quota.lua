-- Replaces a quota hash atomically and changes the tenant's quota epoch. KEYS: 1 quota epoch, 2 quota hash,
-- 3 (optional) the subject's usage hash of the cycle running when its cycle policy changes.
-- ARGV: field, value, field, value, ... (none: delete). With KEYS[3] and no such hash (nothing recorded in
-- the running cycle), the transition fields tr_id, tr_start and tr_end are left out: the subject starts on
-- the new policy at once instead of keeping the running cycle (see CycleSchedule).
local fields = ARGV
if KEYS[3] and redis.call('EXISTS', KEYS[3]) == 0 then
  fields = {}
  for i = 1, #ARGV, 2 do
    local name = ARGV[i]
    if name ~= 'tr_id' and name ~= 'tr_start' and name ~= 'tr_end' then
      fields[#fields + 1] = name
      fields[#fields + 1] = ARGV[i + 1]
    end
  end
end
redis.call('DEL', KEYS[2])
if #fields > 0 then redis.call('HSET', KEYS[2], unpack(fields)) end
bump_quota_epoch()
return 1
