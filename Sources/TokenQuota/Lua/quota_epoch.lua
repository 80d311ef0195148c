-- The tenant's quota epoch (KEYS[1]): a number that changes with every change to any quota of the tenant
-- (user, group, aggregate, default), never repeating (Redis's time in µs, or one more than the last value if
-- that is not larger), so a cached copy of a tenant's quotas is checked with one GET (see levels.lua).
local function bump_quota_epoch()
  local t = redis.call('TIME')
  local v = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local last = tonumber(redis.call('GET', KEYS[1]) or '0')
  if v <= last then v = last + 1 end
  redis.call('SET', KEYS[1], string.format('%d', v))
end
