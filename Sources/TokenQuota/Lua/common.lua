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

-- The limits of a quota hash: cycle limits and rate-window limits; nil = none. Also `al`, the alert
-- thresholds (comma-separated percents of the cycle limits), as stored. A quota hash holds few fields, so it
-- is read whole (one HGETALL costs less than asking for every possible field, most of them absent).
local limit_fields = {'tokens', 'cost', 'requests', 'tpm', 'rpm', 'tph', 'rph', 'tpd', 'rpd'}
local is_limit_field = {}
for _, name in ipairs(limit_fields) do is_limit_field[name] = true end
-- A quota hash as a table field -> value (HGETALL).
local function read_hash(key)
  local all = redis.call('HGETALL', key)
  local h = {}
  for i = 1, #all, 2 do h[all[i]] = all[i + 1] end
  return h
end
local function limits_of(h)
  local l = {}
  for name, v in pairs(h) do
    if v ~= '' then
      if is_limit_field[name] then l[name] = tonumber(v) elseif name == 'al' then l.al = v end
    end
  end
  return l
end
local function read_limits(key)
  return limits_of(read_hash(key))
end

-- Alerts (stream KEYS given by the caller, capped): one entry per alert, fields as listed in QuotaKeys.
local alerts_maxlen = 10000
local function add_alert(key, fields)
  redis.call('XADD', key, 'MAXLEN', '~', alerts_maxlen, '*', unpack(fields))
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

-- A window's state at `now`, with the bucket of time `at`: one HMGET, plus (only when buckets left the
-- window since the last call) one HMGET, one HDEL of those buckets and one HSET of the new sums. Fields:
-- key, w, t, r (sums), lo (oldest live bucket), b, bt, br (the bucket of `at` and its counts; b < lo when
-- that bucket already left the window), dirty (a window never written: its oldest bucket is to be set).
local function window_state(key, w, now, at)
  local lo = math.floor(now / w.gran) - w.span + 1
  local b = math.floor(at / w.gran)
  local s = redis.call('HMGET', key, w.k .. 'L', w.k .. 'T', w.k .. 'R', w.k .. 't' .. int(b), w.k .. 'r' .. int(b))
  local st = {key = key, w = w, t = 0, r = 0, lo = lo, b = b, bt = 0, br = 0, dirty = true}
  if not s[1] then return st end
  local last = tonumber(s[1])
  st.t, st.r = tonumber(s[2] or '0'), tonumber(s[3] or '0')
  st.bt, st.br = tonumber(s[4] or '0'), tonumber(s[5] or '0')
  if last >= lo then
    st.lo, st.dirty = last, false
    return st
  end
  -- Buckets [last, lo - 1] left the window (all stored buckets lie within [last, last + span - 1]).
  local names = {}
  for i = last, math.min(lo - 1, last + w.span - 1) do
    names[#names + 1] = w.k .. 't' .. int(i)
    names[#names + 1] = w.k .. 'r' .. int(i)
  end
  local values = redis.call('HMGET', key, unpack(names))
  for i = 1, #names, 2 do
    st.t = st.t - tonumber(values[i] or '0')
    st.r = st.r - tonumber(values[i + 1] or '0')
  end
  redis.call('HDEL', key, unpack(names))
  -- Written back at once, so that the state stays consistent whatever the script does next.
  redis.call('HSET', key, w.k .. 'L', int(lo), w.k .. 'T', int(st.t), w.k .. 'R', int(st.r))
  st.dirty = false
  if b < lo then st.bt, st.br = 0, 0 end
  return st
end

-- Adds tokens and requests to the state's bucket and writes the window back with one HSET (and PEXPIRE).
-- A bucket that already left the window is skipped for a true-up (`current` false); usage of now always
-- counts (in the oldest live bucket, should Redis's clock have stepped back).
local function window_write(st, tokens, requests, current)
  local w = st.w
  local fields = {}
  if tokens ~= 0 or requests ~= 0 then
    if st.b < st.lo then
      if current then
        local v = redis.call('HMGET', st.key, w.k .. 't' .. int(st.lo), w.k .. 'r' .. int(st.lo))
        st.b, st.bt, st.br = st.lo, tonumber(v[1] or '0'), tonumber(v[2] or '0')
      else
        tokens, requests = 0, 0
      end
    end
  end
  if tokens ~= 0 or requests ~= 0 then
    st.bt, st.br = st.bt + tokens, st.br + requests
    st.t, st.r = st.t + tokens, st.r + requests
    fields = {w.k .. 't' .. int(st.b), int(st.bt), w.k .. 'r' .. int(st.b), int(st.br)}
    st.dirty = true
  end
  if not st.dirty then return end
  fields[#fields + 1] = w.k .. 'L'
  fields[#fields + 1] = int(st.lo)
  fields[#fields + 1] = w.k .. 'T'
  fields[#fields + 1] = int(st.t)
  fields[#fields + 1] = w.k .. 'R'
  fields[#fields + 1] = int(st.r)
  redis.call('HSET', st.key, unpack(fields))
  redis.call('PEXPIRE', st.key, window_ttl_ms)
  st.dirty = false
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

local function reservation_scopes(res)
  local scopes = {'', 'u|' .. res.user .. '|'}
  if res.group ~= '' then scopes[3] = 'g|' .. res.group .. '|' end
  return scopes
end

-- Removes a reservation and its share of the running totals (one HMGET and one HSET or HDEL for every
-- scope); returns it (parsed) or nil.
local function reservation_drop(hkey, zkey, skey, id)
  local v = redis.call('HGET', hkey, id)
  if not v then return nil end
  redis.call('HDEL', hkey, id)
  redis.call('ZREM', zkey, id)
  local res = reservation_parse(v)
  local scopes = reservation_scopes(res)
  local names = {}
  for _, scope in ipairs(scopes) do
    names[#names + 1] = scope .. 't'
    names[#names + 1] = scope .. 'c'
    names[#names + 1] = scope .. 'n'
  end
  local current = redis.call('HMGET', skey, unpack(names))
  local set, gone = {}, {}
  for i = 1, #names, 3 do
    local n = tonumber(current[i + 2] or '0') - 1
    if n <= 0 then
      gone[#gone + 1] = names[i]
      gone[#gone + 1] = names[i + 1]
      gone[#gone + 1] = names[i + 2]
    else
      set[#set + 1] = names[i]
      set[#set + 1] = int(tonumber(current[i] or '0') - res.tokens)
      set[#set + 1] = names[i + 1]
      set[#set + 1] = int(tonumber(current[i + 1] or '0') - res.cost)
      set[#set + 1] = names[i + 2]
      set[#set + 1] = int(n)
    end
  end
  if #set > 0 then redis.call('HSET', skey, unpack(set)) end
  if #gone > 0 then redis.call('HDEL', skey, unpack(gone)) end
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
