-- record: adds an event to every level (user, group, tenant, the tenant cycle's report rows) exactly once
-- (by the user's dedupe key), all or nothing. It never refuses for a limit — the call happened — but says
-- which levels ended over a limit ('over_limit'), and counts that per level (field 'ovr').
--
-- With token statistics off (ARGV 18 = 0) the totals that limits read — input, output, cost and the
-- request count — still count; the other classes and the per-model breakdowns are not stored.
--
-- Before any write (the dedupe key included) it checks every total the event would change, at every level,
-- against the bound (2^53); if one would pass it, nothing changes and the reply names it, so a retry is
-- refused the same way (never taken for a duplicate).
--
-- Rate windows: an event without a reservation adds its tokens and one request to the windows of every
-- level that has a window limit; an event that settles a reservation trues the reservation's estimate
-- (held in the window since the reserve) up or down to the actual tokens.
--
-- ARGV (after the levels layout): 9 user cycle id, 10 user cycle EXPIREAT s, 11 group cycle id, 12 group
-- cycle EXPIREAT, 13 tenant cycle id, 14 tenant cycle EXPIREAT, 15 dedupe TTL s, 16 model, 17 error 0/1,
-- 18 token statistics 0/1, 19-28 in cin cw cw1 out rsn ain aout wsr cost, 29 priced 0/1, 30 estimated 0/1,
-- 31 reservation id or '', 32 stream MAXLEN (0 = off), 33 event id, 34 provider.
-- Returns {recorded 0/1, first "cycle|cost", {user totals...}, reserved tokens, cost, count (the user's),
-- over-limit levels 'user,group,tenant' or '', binding window as in reserve.lua or ''}, or {-1, field, model or ''} when the field would pass the
-- bound, or {-2, field, model or ''} when a stored value is not an integer.
local bound = 9007199254740992
local function above_bound(s)
  return #s > 16 or (#s == 16 and s > '9007199254740992')
end
local prior = redis.call('GET', KEYS[4])
local recorded = 0
local over = ''
local binding, room = '', nil
if not prior then
  local model = ARGV[16]
  local m = model .. '|'
  local changes = {}
  if ARGV[17] == '1' then changes[1] = {'err', '1'} else changes[1] = {'req', '1'} end
  local stats = ARGV[18] == '1'
  local names = {'in', 'cin', 'cw', 'cw1', 'out', 'rsn', 'ain', 'aout', 'wsr', 'cost'}
  if stats then
    for i = 1, 10 do
      if ARGV[18 + i] ~= '0' then changes[#changes + 1] = {names[i], ARGV[18 + i]} end
    end
    if ARGV[29] == '0' then changes[#changes + 1] = {'unp', '1'} end
    if ARGV[30] == '1' then changes[#changes + 1] = {'est', '1'} end
  else
    for _, i in ipairs({1, 5, 10}) do
      if ARGV[18 + i] ~= '0' then changes[#changes + 1] = {names[i], ARGV[18 + i]} end
    end
  end
  -- Per-model fields: '#<n>|<field>', with '@<model>' = n once per hash (a model's name is stored once,
  -- not in every field); '<model>|<field>' fields written by schema v1 (migrated) still count.
  local function model_prefix(h, create)
    local n = redis.call('HGET', h, '@' .. model)
    if not n then
      if not create then return nil end
      n = redis.call('HINCRBY', h, '#', 1)
      redis.call('HSET', h, '@' .. model, n)
    end
    return '#' .. n .. '|'
  end
  -- Check every total this event changes, at every level, before writing anything: the total, and the
  -- model's total (v1 field plus indexed field).
  local function check(h, with_model)
    local indexed = nil
    if with_model then indexed = model_prefix(h, false) end
    local fields = {}
    for _, c in ipairs(changes) do
      fields[#fields + 1] = c[1]
      fields[#fields + 1] = m .. c[1]
      fields[#fields + 1] = (indexed or m) .. c[1]
    end
    local current = redis.call('HMGET', h, unpack(fields))
    for i, c in ipairs(changes) do
      if above_bound(c[2]) then return {-1, c[1], ''} end
      local room = bound - tonumber(c[2])
      local values = {current[3 * i - 2]}
      if with_model then
        values[2] = current[3 * i - 1]
        if indexed then values[3] = current[3 * i] end
      end
      local model_total = 0
      for j, v in pairs(values) do
        if v then
          local which = ''
          if j > 1 then which = model end
          if not string.match(v, '^%-?%d+$') then return {-2, c[1], which} end
          if j == 1 and tonumber(v) > room then return {-1, c[1], ''} end
          if j > 1 then model_total = model_total + tonumber(v) end
        end
      end
      if model_total > room then return {-1, c[1], model} end
    end
    return nil
  end
  for _, L in ipairs(levels) do
    local refused = check(L.cycle, stats and L.name ~= 'group')
    if refused then return refused end
  end
  recorded = 1
  prior = ARGV[9] .. '|' .. ARGV[28]
  redis.call('SET', KEYS[4], prior, 'EX', ARGV[15])
  local res = nil
  if ARGV[31] ~= '' then res = reservation_drop(KEYS[1], KEYS[2], KEYS[3], ARGV[31]) end
  local expire = {user = ARGV[10], group = ARGV[12], tenant = ARGV[14]}
  for _, L in ipairs(levels) do
    local prefix = nil
    if stats and L.name ~= 'group' then prefix = model_prefix(L.cycle, true) end
    for _, c in ipairs(changes) do
      redis.call('HINCRBY', L.cycle, c[1], c[2])
      if prefix then redis.call('HINCRBY', L.cycle, prefix .. c[1], c[2]) end
    end
    redis.call('EXPIREAT', L.cycle, expire[L.name])
  end
  -- Report rows: one field per user ('u|<user>') and group ('g|<group>'), holding the counts of
  -- row_fields separated by spaces (rows from a v1 migration are 'u|<user>|<field>' fields instead).
  local row_fields = {'in', 'cin', 'cw', 'cw1', 'out', 'rsn', 'ain', 'aout', 'wsr', 'req', 'err', 'cost', 'unp', 'est'}
  local row_index = {}
  for i, f in ipairs(row_fields) do row_index[f] = i end
  local function row_add(field)
    local counts = {}
    for i = 1, #row_fields do counts[i] = 0 end
    local stored = redis.call('HGET', KEYS[15], field)
    if stored then
      local i = 1
      for n in string.gmatch(stored, '%d+') do
        counts[i] = tonumber(n)
        i = i + 1
      end
    end
    for _, c in ipairs(changes) do
      local i = row_index[c[1]]
      counts[i] = counts[i] + tonumber(c[2])
    end
    local parts = {}
    for i = 1, #row_fields do parts[i] = int(counts[i]) end
    redis.call('HSET', KEYS[15], field, table.concat(parts, ' '))
  end
  row_add('u|' .. user)
  if group ~= '' then row_add('g|' .. group) end
  redis.call('EXPIREAT', KEYS[15], ARGV[14])
  local tokens = tonumber(ARGV[19]) + tonumber(ARGV[23])
  -- When the call was admitted (Redis's time): at its reservation, else now.
  local admitted = now
  if res and res.at then admitted = res.at end
  local flagged = {}
  for _, L in ipairs(levels) do
    local l = L.limits
    local is_over = false
    for _, w in ipairs(windows) do
      if window_limited(l, w) then
        if res and res.at and held_at(L, res) then
          window_add(L.win, w, res.at, now, tokens - res.tokens, 0)
        else
          window_add(L.win, w, now, now, tokens, 1)
        end
        local s = redis.call('HMGET', L.win, w.k .. 'T', w.k .. 'R')
        local held = {tonumber(s[1] or '0'), tonumber(s[2] or '0')}
        for i, field in ipairs({w.tokens, w.requests}) do
          local limit = l[field]
          if limit then
            if held[i] > limit then is_over = true end
            local share = 1
            if limit > 0 then share = (limit - held[i]) / limit end
            if room == nil or share < room then
              room = share
              local kind = 'tokens_per_'
              if i == 2 then kind = 'requests_per_' end
              binding = L.name .. '|' .. kind .. w.name .. '|' .. int(limit) .. '|' .. w.seconds .. '|' .. int(math.max(0, limit - held[i]))
            end
          end
        end
      end
    end
    if l.tokens or l.cost or l.requests then
      local u = redis.call('HMGET', L.cycle, 'in', 'out', 'cost', 'req')
      local used_tokens = tonumber(u[1] or '0') + tonumber(u[2] or '0')
      if (l.tokens and used_tokens > l.tokens) or (l.cost and tonumber(u[3] or '0') > l.cost) or (l.requests and tonumber(u[4] or '0') > l.requests) then
        is_over = true
      end
    end
    if is_over then
      redis.call('HINCRBY', L.cycle, 'ovr', 1)
      flagged[#flagged + 1] = L.name
    end
  end
  over = table.concat(flagged, ',')
  local maxlen = tonumber(ARGV[32])
  if maxlen > 0 then
    redis.call('XADD', KEYS[16], 'MAXLEN', '~', maxlen, '*', 'event', ARGV[33], 'cycle', ARGV[9], 'group', group,
      'model', model, 'provider', ARGV[34], 'error', ARGV[17], 'in', ARGV[19], 'cin', ARGV[20], 'cw', ARGV[21],
      'cw1', ARGV[22], 'out', ARGV[23], 'rsn', ARGV[24], 'ain', ARGV[25], 'aout', ARGV[26], 'wsr', ARGV[27],
      'cost', ARGV[28], 'priced', ARGV[29], 'estimated', ARGV[30], 'over', over, 'at', int(admitted))
    redis.call('EXPIREAT', KEYS[16], ARGV[10])
  end
elseif ARGV[31] ~= '' then
  reservation_drop(KEYS[1], KEYS[2], KEYS[3], ARGV[31])
end
purge_expired(KEYS[1], KEYS[2], KEYS[3], now)
local totals = redis.call('HMGET', KEYS[5], unpack(totals_fields))
local rt, rc, rn = reserved_of(KEYS[3], levels[1].scope)
return {recorded, prior, totals, int(rt), int(rc), int(rn), over, binding}
