-- reserve: holds quota at every level (user, group, tenant) unless a cycle limit (used + reserved +
-- requested) or a rate window (its sum + requested) would be exceeded at any of them.
--
-- ARGV (after the levels layout): 10 reservation id, 11 tokens, 12 cost nano-USD, 13 TTL ms, 14 most active
-- reservations per user, 15 tenant, 16-18 user, group and tenant cycle ids, 19 dedupe TTL s, 20 the call's
-- model and 21 its provider (optional: kept in the id's state for a commit that names no model). KEYS (after
-- the levels layout): 18 alert stream, 19 when each level, subject and limit last raised a 'quota.exceeded'
-- alert, 20 the reservation id's state ('h' or 'h|<provider>|<model>' held, 'c|<event id>' committed, 'r'
-- released; written at the
-- reserve, kept for the TTL plus the dedupe TTL, so a settled id is never held again).
-- A refusal adds a 'quota.exceeded' alert for each limit that refused, at most one per level, subject and
-- limit per minute.
-- Returns {1, id, expires ms, binding window, tokens, cost} where binding window is '' or
-- 'level|limit|quota|window seconds|remaining' (the rate window with the least room left, for the RateLimit
-- headers) and tokens and cost are what the reservation holds; {-7, tokens, cost, expires ms} when the id
-- is held for a different request (a retry must repeat the same request: then it gets the held reservation);
-- {-4, state} when the id was already settled (state 'committed', 'released' or 'expired'); {-5, count}
-- when the user holds too many reservations; or, when refused, {0, level, limit, limit value, used,
-- reserved, requested, retry ms or '', Redis time ms} naming the limit whose room comes back last (retry ''
-- = the request alone exceeds the limit).
local id = ARGV[10]
local tokens, cost = tonumber(ARGV[11]), tonumber(ARGV[12])
local existing = redis.call('HGET', KEYS[1], id)
if existing then
  local res = reservation_parse(existing)
  if res.expires > now then
    if res.tokens == tokens and res.cost == cost then return {1, id, int(res.expires), '', int(res.tokens), int(res.cost)} end
    return {-7, int(res.tokens), int(res.cost), int(res.expires)}
  end
end
if redis.call('EXISTS', KEYS[4]) == 1 then return {-4, 'committed'} end
local state = redis.call('GET', KEYS[20])
if state then
  if string.sub(state, 1, 1) == 'c' then return {-4, 'committed'} end
  if state == 'r' then return {-4, 'released'} end
  return {-4, 'expired'}
end
purge_expired(KEYS[1], KEYS[2], KEYS[3], now)

local failures = {}
local scopes = {}
for _, L in ipairs(levels) do
  scopes[#scopes + 1] = L.scope .. 't'
  scopes[#scopes + 1] = L.scope .. 'c'
  scopes[#scopes + 1] = L.scope .. 'n'
end
local held_now = redis.call('HMGET', KEYS[3], unpack(scopes))
for i, L in ipairs(levels) do
  L.reserved = {
    tokens = tonumber(held_now[3 * i - 2] or '0'), cost = tonumber(held_now[3 * i - 1] or '0'),
    requests = tonumber(held_now[3 * i] or '0'),
  }
end
if levels[1].reserved.requests >= tonumber(ARGV[14]) then return {-5, int(levels[1].reserved.requests)} end
for _, L in ipairs(levels) do
  local l = L.limits
  local u = redis.call('HMGET', L.cycle, 'in', 'out', 'cost', 'req')
  L.used = {tokens = tonumber(u[1] or '0') + tonumber(u[2] or '0'), cost = tonumber(u[3] or '0'), requests = tonumber(u[4] or '0')}
  local asked = {tokens = tokens, cost = cost, requests = 1}
  for _, kind in ipairs({'tokens', 'cost', 'requests'}) do
    if l[kind] and L.used[kind] + L.reserved[kind] + asked[kind] > l[kind] then
      failures[#failures + 1] = {level = L, limit = kind, value = l[kind], used = L.used[kind], reserved = L.reserved[kind], requested = asked[kind]}
    end
  end
  L.windows = {}
  for _, w in ipairs(windows) do
    if window_limited(l, w) then
      local st = window_state(L.win, w, now, now)
      L.windows[w.k] = st
      local t, r, lo = st.t, st.r, st.lo
      if l[w.tokens] and t + tokens > l[w.tokens] then
        failures[#failures + 1] = {level = L, limit = 'tokens_per_' .. w.name, value = l[w.tokens], used = t, reserved = 0, requested = tokens, window = w, t = t, r = r, lo = lo}
      end
      if l[w.requests] and r + 1 > l[w.requests] then
        failures[#failures + 1] = {level = L, limit = 'requests_per_' .. w.name, value = l[w.requests], used = r, reserved = 0, requested = 1, window = w, t = t, r = r, lo = lo}
      end
    end
  end
end

-- When a cycle limit has room again: the expiry of the reservation (walking them by expiry) after which
-- the request fits, else the cycle's end (usage resets); nil when the request alone exceeds the limit.
local function cycle_retry(f)
  if f.requested > f.value then return nil end
  local L = f.level
  local reserved = f.reserved
  local order = redis.call('ZRANGE', KEYS[2], 0, 4999, 'WITHSCORES')
  for i = 1, #order, 2 do
    local v = redis.call('HGET', KEYS[1], order[i])
    if v then
      local res = reservation_parse(v)
      if held_at(L, res) then
        if f.limit == 'tokens' then reserved = reserved - res.tokens
        elseif f.limit == 'cost' then reserved = reserved - res.cost
        else reserved = reserved - 1 end
        if f.used + reserved + f.requested <= f.value then return tonumber(order[i + 1]) end
      end
    end
  end
  return L.stop
end

if #failures > 0 then
  local worst, worst_retry = nil, nil
  for _, f in ipairs(failures) do
    local retry
    if f.window then
      retry = window_retry(f.level.win, f.window, f.level.limits, f.t, f.r, f.lo, now, tokens)
    else
      retry = cycle_retry(f)
    end
    if retry == nil then
      worst, worst_retry = f, nil
      break
    end
    if worst == nil or retry > worst_retry then worst, worst_retry = f, retry end
  end
  local subject_of = {user = user, group = group, tenant = ARGV[15]}
  local cycle_of = {user = ARGV[16], group = ARGV[17], tenant = ARGV[18]}
  local names = {}
  for i, f in ipairs(failures) do names[i] = f.level.name .. '|' .. subject_of[f.level.name] .. '|' .. f.limit end
  local last = redis.call('HMGET', KEYS[19], unpack(names))
  local stamped = {}
  for i, f in ipairs(failures) do
    if (not last[i] or now - tonumber(last[i]) >= 60000) and not stamped[names[i]] then
      stamped[names[i]] = true
      local cycle = cycle_of[f.level.name]
      if f.window then cycle = '' end
      add_alert(KEYS[18], {'type', 'quota.exceeded', 'level', f.level.name, 'subject', subject_of[f.level.name], 'user', user,
        'group', group, 'limit', f.limit, 'threshold', '', 'used', int(f.used), 'value', int(f.value), 'reserved', int(f.reserved),
        'requested', int(f.requested), 'cycle', cycle, 'at', int(now), 'event', id})
      redis.call('HSET', KEYS[19], names[i], int(now))
    end
  end
  redis.call('PEXPIRE', KEYS[19], 120000)
  local retry = ''
  if worst_retry then retry = int(worst_retry) end
  return {0, worst.level.name, worst.limit, int(worst.value), int(worst.used), int(worst.reserved), int(worst.requested), retry, int(now)}
end

local expires = now + tonumber(ARGV[13])
redis.call('HSET', KEYS[1], id, int(tokens) .. '|' .. int(cost) .. '|' .. int(expires) .. '|' .. int(now) .. '|' .. user .. '|' .. group)
redis.call('ZADD', KEYS[2], expires, id)
local held = 'h'
if ARGV[20] and ARGV[20] ~= '' then held = 'h|' .. (ARGV[21] or '') .. '|' .. ARGV[20] end
redis.call('SET', KEYS[20], held, 'PX', tonumber(ARGV[13]) + tonumber(ARGV[19]) * 1000)
local totals = {}
for _, L in ipairs(levels) do
  totals[#totals + 1] = L.scope .. 't'
  totals[#totals + 1] = int(L.reserved.tokens + tokens)
  totals[#totals + 1] = L.scope .. 'c'
  totals[#totals + 1] = int(L.reserved.cost + cost)
  totals[#totals + 1] = L.scope .. 'n'
  totals[#totals + 1] = int(L.reserved.requests + 1)
end
redis.call('HSET', KEYS[3], unpack(totals))
local binding, room = '', nil
-- The limit with the least room left after this reservation, over the cycle limits (their 'window' the
-- seconds until the cycle ends) and the rate windows, for the RateLimit headers.
for _, L in ipairs(levels) do
  local asked = {tokens = tokens, cost = cost, requests = 1}
  for _, kind in ipairs({'tokens', 'cost', 'requests'}) do
    local limit = L.limits[kind]
    if limit then
      local left = limit - L.used[kind] - L.reserved[kind] - asked[kind]
      if left < 0 then left = 0 end
      local share = 1
      if limit > 0 then share = left / limit end
      if room == nil or share < room then
        room = share
        binding = L.name .. '|' .. kind .. '|' .. int(limit) .. '|' .. int(math.max(1, math.ceil((L.stop - now) / 1000))) .. '|' .. int(left)
      end
    end
  end
  for _, w in ipairs(windows) do
    local s = L.windows[w.k]
    if s then
      window_write(s, tokens, 1, true)
      for _, pair in ipairs({{w.tokens, 'tokens_per_', s.t}, {w.requests, 'requests_per_', s.r}}) do
        local limit = L.limits[pair[1]]
        if limit then
          local left = limit - pair[3]
          local share = 1
          if limit > 0 then share = left / limit end
          if room == nil or share < room then
            room = share
            binding = L.name .. '|' .. pair[2] .. w.name .. '|' .. int(limit) .. '|' .. w.seconds .. '|' .. int(left)
          end
        end
      end
    end
  end
end
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], last[2])
redis.call('PEXPIREAT', KEYS[2], last[2])
redis.call('PEXPIREAT', KEYS[3], last[2])
return {1, id, int(expires), binding, int(tokens), int(cost)}
