-- release: drops a reservation and gives its estimate and request back to the rate windows it was held in.
-- KEYS: 1 reservations hash, 2 expiry zset, 3 running totals, 4 user window, 5 group window, 6 tenant
-- window, 7 user quota, 8 tenant per-user default quota, 9 group quota, 10 tenant quota, 11 the tenant's
-- quota epoch, 12 the reservation id's state (see reserve.lua; 'r' once released, so the id is never held
-- again).
-- ARGV: 1 id, 2 user, 3 the user's group ('' = none; the group window is only adjusted when the
-- reservation was held for that group), 4 the quota epoch the caller's group was read at, 5 dedupe TTL s.
-- Returns 1 if an active reservation (by Redis's time) was dropped, else 0; {-6, ''} (nothing changed) when
-- a quota of the tenant changed since the caller read the user's group (the caller reloads and asks again,
-- as after the same refusal from levels.lua).
if (redis.call('GET', KEYS[11]) or '0') ~= ARGV[4] then return {-6, ''} end
local now = redis_now()
local res = reservation_drop(KEYS[1], KEYS[2], KEYS[3], ARGV[1])
if not res then return 0 end
if res.expires <= now then return 0 end
redis.call('SET', KEYS[12], 'r', 'EX', ARGV[5])
local own = read_hash(KEYS[7])
local targets = {}
if own.own then targets[1] = {KEYS[4], limits_of(own)} else targets[1] = {KEYS[4], read_limits(KEYS[8])} end
if res.group ~= '' and res.group == ARGV[3] then targets[#targets + 1] = {KEYS[5], read_limits(KEYS[9])} end
targets[#targets + 1] = {KEYS[6], read_limits(KEYS[10])}
for _, target in ipairs(targets) do
  for _, w in ipairs(windows) do
    if window_limited(target[2], w) then window_write(window_state(target[1], w, now, res.at), -res.tokens, -1, false) end
  end
end
return 1
