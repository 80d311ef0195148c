-- Shared by every quotad script (prepended to each). Schema v2: all keys of one tenant share the hash tag
-- {tenant}, so a script may touch every level (tenant, group, user) of the tenant atomically.
--
-- Numbers: counters change with HINCRBY (exact 64-bit integers); sums and comparisons in Lua use doubles,
-- exact up to 2^53, the bound every stored total is kept under.

-- Redis's time in milliseconds: the one clock every decision uses.
local function redis_now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Integers as decimal strings (never Lua's float formatting such as 1e+14).
local function int(x)
  return string.format('%d', x)
end

-- The limits of a quota hash: cycle limits and rate-window limits; nil = none.
local limit_fields = {'tokens', 'cost', 'requests', 'tpm', 'rpm', 'tph', 'rph', 'tpd', 'rpd'}
local function read_limits(key)
  local v = redis.call('HMGET', key, unpack(limit_fields))
  local l = {}
  for i, name in ipairs(limit_fields) do
    if v[i] and v[i] ~= '' then l[name] = tonumber(v[i]) end
  end
  return l
end

-- Rate windows, counted in buckets of `gran` ms; a window sums its last `span` buckets (the current one
-- included), so it always covers at least the window's length: a limit is never exceeded over any span of
-- that length (conservative by at most one bucket). Fields of a level's window hash: <k>t<bucket> and
-- <k>r<bucket> (tokens, requests of a bucket), <k>T and <k>R (their sums), <k>L (oldest live bucket).
local windows = {
  {k = 'm', gran = 1000, span = 61, tokens = 'tpm', requests = 'rpm', name = 'minute', seconds = 60},
  {k = 'h', gran = 60000, span = 61, tokens = 'tph', requests = 'rph', name = 'hour', seconds = 3600},
  {k = 'd', gran = 900000, span = 97, tokens = 'tpd', requests = 'rpd', name = 'day', seconds = 86400},
}
local window_ttl_ms = 90000000

local function window_limited(l, w)
  return l[w.tokens] ~= nil or l[w.requests] ~= nil
end

-- Drops the buckets that left the window and answers the sums (tokens, requests) and the oldest bucket.
local function window_slide(key, w, now)
  local nowb = math.floor(now / w.gran)
  local lo = nowb - w.span + 1
  local s = redis.call('HMGET', key, w.k .. 'L', w.k .. 'T', w.k .. 'R')
  if not s[1] then
    redis.call('HSET', key, w.k .. 'L', int(lo))
    return 0, 0, lo
  end
  local last = tonumber(s[1])
  local t, r = tonumber(s[2] or '0'), tonumber(s[3] or '0')
  if last >= lo then return t, r, last end
  local stop = math.min(lo - 1, last + w.span - 1)
  local names = {}
  for b = last, stop do
    names[#names + 1] = w.k .. 't' .. int(b)
    names[#names + 1] = w.k .. 'r' .. int(b)
  end
  local values = redis.call('HMGET', key, unpack(names))
  local dt, dr = 0, 0
  for i = 1, #names, 2 do
    dt = dt + tonumber(values[i] or '0')
    dr = dr + tonumber(values[i + 1] or '0')
  end
  redis.call('HDEL', key, unpack(names))
  t, r = t - dt, r - dr
  redis.call('HSET', key, w.k .. 'L', int(lo), w.k .. 'T', int(t), w.k .. 'R', int(r))
  return t, r, lo
end

-- Adds tokens and requests to the bucket of time `at` (skipped when that bucket already left the window).
local function window_add(key, w, at, now, tokens, requests)
  local _, _, lo = window_slide(key, w, now)
  local b = math.floor(at / w.gran)
  if b < lo then
    -- Usage of now always counts (even should Redis's clock step back); a true-up of an old bucket does not.
    if at < now then return end
    b = lo
  end
  if tokens ~= 0 then
    redis.call('HINCRBY', key, w.k .. 't' .. int(b), int(tokens))
    redis.call('HINCRBY', key, w.k .. 'T', int(tokens))
  end
  if requests ~= 0 then
    redis.call('HINCRBY', key, w.k .. 'r' .. int(b), int(requests))
    redis.call('HINCRBY', key, w.k .. 'R', int(requests))
  end
  redis.call('PEXPIRE', key, window_ttl_ms)
end

-- The moment (ms) from which `tokens` more tokens and one more request fit the window's limits, walking
-- the buckets from the oldest; nil when they never can (the request alone is larger than the limit).
local function window_retry(key, w, l, t, r, lo, now, tokens)
  local lt, lr = l[w.tokens], l[w.requests]
  if (lt and tokens > lt) or (lr and 1 > lr) then return nil end
  local nowb = math.floor(now / w.gran)
  for b = lo, nowb do
    local v = redis.call('HMGET', key, w.k .. 't' .. int(b), w.k .. 'r' .. int(b))
    t = t - tonumber(v[1] or '0')
    r = r - tonumber(v[2] or '0')
    -- Bucket b leaves the window at (b + span) * gran.
    if (not lt or t + tokens <= lt) and (not lr or r + 1 <= lr) then return (b + w.span) * w.gran end
  end
  return (nowb + w.span) * w.gran
end

-- Reservations of the whole tenant: hash id -> tokens|cost|expires|reserved at|user|group, zset by expiry,
-- and running totals per scope ('' = tenant, 'u|<user>|', 'g|<group>|'): <scope>t, <scope>c, <scope>n.
local function reservation_parse(v)
  local t, c, e, at, user, group = string.match(v, '^(%d+)|(%d+)|(%d+)|(%d+)|([^|]*)|(.*)$')
  return {tokens = tonumber(t), cost = tonumber(c), expires = tonumber(e), at = tonumber(at), user = user, group = group}
end

local function reserved_adjust(skey, scope, t, c, n)
  local left = redis.call('HINCRBY', skey, scope .. 'n', n)
  if left <= 0 then
    redis.call('HDEL', skey, scope .. 'n', scope .. 't', scope .. 'c')
    return
  end
  redis.call('HINCRBY', skey, scope .. 't', int(t))
  redis.call('HINCRBY', skey, scope .. 'c', int(c))
end

local function reservation_scopes(res)
  local scopes = {'', 'u|' .. res.user .. '|'}
  if res.group ~= '' then scopes[3] = 'g|' .. res.group .. '|' end
  return scopes
end

-- Removes a reservation and its share of the running totals; returns it (parsed) or nil.
local function reservation_drop(hkey, zkey, skey, id)
  local v = redis.call('HGET', hkey, id)
  if not v then return nil end
  redis.call('HDEL', hkey, id)
  redis.call('ZREM', zkey, id)
  local res = reservation_parse(v)
  for _, scope in ipairs(reservation_scopes(res)) do
    reserved_adjust(skey, scope, -res.tokens, -res.cost, -1)
  end
  return res
end

-- Drops reservations that expired by Redis's clock (at most 1000 per call: any left over still count,
-- which only errs on the safe side, and the next call drops them).
local function purge_expired(hkey, zkey, skey, now)
  local expired = redis.call('ZRANGEBYSCORE', zkey, '-inf', now, 'LIMIT', 0, 1000)
  for _, id in ipairs(expired) do
    if not reservation_drop(hkey, zkey, skey, id) then redis.call('ZREM', zkey, id) end
  end
end

local function reserved_of(skey, scope)
  local s = redis.call('HMGET', skey, scope .. 't', scope .. 'c', scope .. 'n')
  return tonumber(s[1] or '0'), tonumber(s[2] or '0'), tonumber(s[3] or '0')
end

local totals_fields = {'in', 'cin', 'cw', 'cw1', 'out', 'rsn', 'ain', 'aout', 'wsr', 'req', 'err', 'cost', 'unp', 'est', 'ovr'}
