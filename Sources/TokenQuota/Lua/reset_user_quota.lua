-- Deletes every key in KEYS but the first at once (a user's quota and usage reset together, or not at all)
-- and changes the tenant's quota epoch (KEYS[1]).
local n = 0
for i = 2, #KEYS do n = n + redis.call('DEL', KEYS[i]) end
bump_quota_epoch()
return n
