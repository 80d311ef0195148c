-- The levels a reserve or record applies to, in one tenant: the user, the user's group (if any) and the
-- tenant. Prepended (after common.lua) to reserve.lua and record.lua, which share this KEYS/ARGV layout:
--
-- KEYS: 1 reservations hash, 2 reservation expiry zset, 3 reservation running totals, 4 dedupe key (of the
-- event id, or of the reservation id), 5 user cycle hash, 6 user window hash, 7 user quota, 8 tenant
-- per-user default quota, 9 group cycle hash, 10 group window hash, 11 group quota, 12 tenant cycle hash,
-- 13 tenant window hash, 14 tenant quota, 15 report rows of the tenant cycle, 16 unused (was a per-user audit stream), 17 the
-- tenant's quota epoch.
-- ARGV: 1 user, 2 group ('' = none), 3-4 user cycle start/end ms, 5-6 group cycle start/end ms, 7-8 tenant
-- cycle start/end ms (the caller's estimate of the cycles containing Redis's time), 9 the quota epoch the
-- caller's quotas were read at.
--
-- Refusals that change nothing: {-3, Redis time} when a cycle does not contain Redis's time (the caller
-- learns the time and asks again); {-6, group} when the user's group is not the one the caller assumed, or
-- any quota of the tenant changed since the caller read its quotas (the caller reloads the user's quotas
-- and asks again). So a cached schedule or group is never used once stale, on any instance.
local now = redis_now()
local user, group = ARGV[1], ARGV[2]
local function in_cycle(s, e) return now >= tonumber(s) and now < tonumber(e) end
if not in_cycle(ARGV[3], ARGV[4]) or (group ~= '' and not in_cycle(ARGV[5], ARGV[6])) or not in_cycle(ARGV[7], ARGV[8]) then
  return {-3, now}
end
local own = read_hash(KEYS[7])
local stored_group = ''
if own.own and own.group then stored_group = own.group end
if stored_group ~= group or (redis.call('GET', KEYS[17]) or '0') ~= ARGV[9] then return {-6, stored_group} end
local user_limits
if own.own then user_limits = limits_of(own) else user_limits = read_limits(KEYS[8]) end
local levels = {{name = 'user', scope = 'u|' .. user .. '|', cycle = KEYS[5], win = KEYS[6], limits = user_limits, stop = tonumber(ARGV[4])}}
if group ~= '' then
  levels[2] = {name = 'group', scope = 'g|' .. group .. '|', cycle = KEYS[9], win = KEYS[10], limits = read_limits(KEYS[11]), stop = tonumber(ARGV[6])}
end
levels[#levels + 1] = {name = 'tenant', scope = '', cycle = KEYS[12], win = KEYS[13], limits = read_limits(KEYS[14]), stop = tonumber(ARGV[8])}

-- Whether a reservation is held at a level.
local function held_at(level, res)
  if level.name == 'tenant' then return true end
  if level.name == 'user' then return res.user == user end
  return res.group == group
end
