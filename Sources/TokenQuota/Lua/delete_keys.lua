-- Deletes every key in KEYS at once (a user's quota and usage reset together, or not at all).
local n = 0
for _, key in ipairs(KEYS) do n = n + redis.call('DEL', key) end
return n
