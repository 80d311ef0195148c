-- extend: adds tokens and cost to a held reservation at every level it is held at, at once, unless a cycle
-- limit (used + reserved + added) or a rate window's token limit (its sum + added) would be exceeded at any
-- of them; and/or moves its expiry. A refusal changes nothing.
--
-- ARGV (after the levels layout): 10 reservation id, 11 added tokens, 12 added cost nano-USD, 13 the new TTL
-- in ms from now ('' = keep the expiry), 14 dedupe TTL s. KEYS (after the levels layout): 18 the reservation
-- id's state (see reserve.lua).
-- The added tokens go to the rate-window bucket the reservation was admitted in (where its commit trues them
-- up, and where a release takes them back); a bucket already out of its window takes none.
-- Returns {1, expires ms, tokens, cost} (what the reservation holds now); {-8, state} when the id is not held
-- ('' never held, or 'committed', 'released', 'expired'); {-9, group} when the user's group is no longer the
-- one the reservation is held for; or, when refused, {0, level, limit, limit value, used, reserved,
-- requested, '', Redis time ms} naming the first limit that refused.
local id = ARGV[10]
local add_tokens, add_cost = tonumber(ARGV[11]), tonumber(ARGV[12])
local v = redis.call('HGET', KEYS[1], id)
if not v then
  local state = redis.call('GET', KEYS[18]) or ''
  if string.sub(state, 1, 1) == 'c' then return {-8, 'committed'} end
  if state == 'r' then return {-8, 'released'} end
  if state ~= '' then return {-8, 'expired'} end
  return {-8, ''}
end
local res = reservation_parse(v)
if res.expires <= now then return {-8, 'expired'} end
if res.group ~= group then return {-9, res.group} end

local scopes = {}
for _, L in ipairs(levels) do
  scopes[#scopes + 1] = L.scope .. 't'
  scopes[#scopes + 1] = L.scope .. 'c'
end
local held_now = redis.call('HMGET', KEYS[3], unpack(scopes))
for i, L in ipairs(levels) do
  L.reserved = {tokens = tonumber(held_now[2 * i - 1] or '0'), cost = tonumber(held_now[2 * i] or '0')}
  local l = L.limits
  local u = redis.call('HMGET', L.cycle, 'in', 'out', 'cost')
  L.used = {tokens = tonumber(u[1] or '0') + tonumber(u[2] or '0'), cost = tonumber(u[3] or '0')}
  local asked = {tokens = add_tokens, cost = add_cost}
  for _, kind in ipairs({'tokens', 'cost'}) do
    if asked[kind] > 0 and l[kind] and L.used[kind] + L.reserved[kind] + asked[kind] > l[kind] then
      return {0, L.name, kind, int(l[kind]), int(L.used[kind]), int(L.reserved[kind]), int(asked[kind]), '', int(now)}
    end
  end
  L.windows = {}
  for _, w in ipairs(windows) do
    if add_tokens > 0 and l[w.tokens] then
      local st = window_state(L.win, w, now, res.at)
      L.windows[w.k] = st
      -- a bucket out of its window no longer counts the reservation: nor its extension
      if st.b >= st.lo and st.t + add_tokens > l[w.tokens] then
        return {0, L.name, 'tokens_per_' .. w.name, int(l[w.tokens]), int(st.t), 0, int(add_tokens), '', int(now)}
      end
    end
  end
end

local expires = res.expires
if ARGV[13] ~= '' then expires = now + tonumber(ARGV[13]) end
local tokens, cost = res.tokens + add_tokens, res.cost + add_cost
redis.call('HSET', KEYS[1], id, int(tokens) .. '|' .. int(cost) .. '|' .. int(expires) .. '|' .. int(res.at) .. '|' .. user .. '|' .. group)
redis.call('ZADD', KEYS[2], expires, id)
local state = redis.call('GET', KEYS[18])
if state then redis.call('SET', KEYS[18], state, 'PX', int(expires - now) + tonumber(ARGV[14]) * 1000) end
local totals = {}
for _, L in ipairs(levels) do
  totals[#totals + 1] = L.scope .. 't'
  totals[#totals + 1] = int(L.reserved.tokens + add_tokens)
  totals[#totals + 1] = L.scope .. 'c'
  totals[#totals + 1] = int(L.reserved.cost + add_cost)
  for _, st in pairs(L.windows) do window_write(st, add_tokens, 0, false) end
end
redis.call('HSET', KEYS[3], unpack(totals))
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], last[2])
redis.call('PEXPIREAT', KEYS[2], last[2])
redis.call('PEXPIREAT', KEYS[3], last[2])
return {1, int(expires), int(tokens), int(cost)}
