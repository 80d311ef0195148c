-- Replaces a quota hash atomically and changes the tenant's quota epoch. KEYS: 1 quota epoch, 2 quota hash.
-- ARGV: field, value, field, value, ... (none: delete).
redis.call('DEL', KEYS[2])
if #ARGV > 0 then redis.call('HSET', KEYS[2], unpack(ARGV)) end
bump_quota_epoch()
return 1
