-- read: one level's state — its cycle hash, its share of the active reservations (by Redis's time) and
-- its rate windows. KEYS: 1 reservations hash, 2 expiry zset, 3 running totals, 4 cycle hash, 5 window
-- hash, 6 the quota hash whose limits apply. ARGV: 1 reservation scope ('' tenant, 'u|<user>|', 'g|<group>|').
-- Returns {flat HGETALL, reserved tokens, cost, count, {window name, tokens, requests, ...}, Redis time ms}.
local now = redis_now()
purge_expired(KEYS[1], KEYS[2], KEYS[3], now)
local all = redis.call('HGETALL', KEYS[4])
local rt, rc, rn = reserved_of(KEYS[3], ARGV[1])
local l = read_limits(KEYS[6])
local state = {}
for _, w in ipairs(windows) do
  if window_limited(l, w) then
    local st = window_state(KEYS[5], w, now, now)
    window_write(st, 0, 0, false)
    state[#state + 1] = w.name
    state[#state + 1] = int(st.t)
    state[#state + 1] = int(st.r)
  end
end
return {all, int(rt), int(rc), int(rn), state, int(now)}
