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
  -- Each level's hash is read once (HMGET of every total, and the model's fields this event changes),
  -- checked, and written once (HSET of the new values).
  for _, L in ipairs(levels) do
    local with_model = stats and L.name ~= 'group'
    local names = {}
    for i, f in ipairs(totals_fields) do names[i] = f end
    local model_at = #names
    if with_model then
      names[#names + 1] = '@' .. model
      for _, c in ipairs(changes) do
        names[#names + 1] = m .. c[1]
      end
    end
    local values = redis.call('HMGET', L.cycle, unpack(names))
    L.current = {}
    for i, f in ipairs(totals_fields) do L.current[f] = values[i] end
    if with_model then
      L.index = values[model_at + 1]
      L.legacy = {}
      for i, c in ipairs(changes) do L.legacy[c[1]] = values[model_at + 1 + i] end
      if L.index then
        local indexed = {}
        for _, c in ipairs(changes) do indexed[#indexed + 1] = '#' .. L.index .. '|' .. c[1] end
        local v = redis.call('HMGET', L.cycle, unpack(indexed))
        L.indexed = {}
        for i, c in ipairs(changes) do L.indexed[c[1]] = v[i] end
      end
    end
  end
  -- Check every total this event changes, at every level, before writing anything: the total, and the
  -- model's total (v1 field plus indexed field).
  for _, L in ipairs(levels) do
    for _, c in ipairs(changes) do
      if above_bound(c[2]) then return {-1, c[1], ''} end
      local room = bound - tonumber(c[2])
      local v = L.current[c[1]]
      if v then
        if not string.match(v, '^%-?%d+$') then return {-2, c[1], ''} end
        if tonumber(v) > room then return {-1, c[1], ''} end
      end
      if L.legacy then
        local model_total = 0
        for _, mv in ipairs({L.legacy[c[1]] or false, (L.indexed and L.indexed[c[1]]) or false}) do
          if mv then
            if not string.match(mv, '^%-?%d+$') then return {-2, c[1], model} end
            model_total = model_total + tonumber(mv)
          end
        end
        if model_total > room then return {-1, c[1], model} end
      end
    end
  end
  recorded = 1
  prior = ARGV[9] .. '|' .. ARGV[28]
  redis.call('SET', KEYS[4], prior, 'EX', ARGV[15])
  local res = nil
  if ARGV[31] ~= '' then res = reservation_drop(KEYS[1], KEYS[2], KEYS[3], ARGV[31]) end
  -- The new totals of every level (written below, with the over-limit count).
  for _, L in ipairs(levels) do
    L.new = {}
    for _, c in ipairs(changes) do L.new[c[1]] = tonumber(L.current[c[1]] or '0') + tonumber(c[2]) end
  end
  -- Report rows: one field per user ('u|<user>') and group ('g|<group>'), holding the counts of
  -- row_fields separated by spaces (rows from a v1 migration are 'u|<user>|<field>' fields instead).
  local row_fields = {'in', 'cin', 'cw', 'cw1', 'out', 'rsn', 'ain', 'aout', 'wsr', 'req', 'err', 'cost', 'unp', 'est'}
  local row_index = {}
  for i, f in ipairs(row_fields) do row_index[f] = i end
  local row_names = {'u|' .. user}
  if group ~= '' then row_names[2] = 'g|' .. group end
  local stored_rows = redis.call('HMGET', KEYS[15], unpack(row_names))
  local row_values = {}
  for r, field in ipairs(row_names) do
    local counts = {}
    for i = 1, #row_fields do counts[i] = 0 end
    if stored_rows[r] then
      local i = 1
      for n in string.gmatch(stored_rows[r], '%d+') do
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
    row_values[#row_values + 1] = field
    row_values[#row_values + 1] = table.concat(parts, ' ')
  end
  redis.call('HSET', KEYS[15], unpack(row_values))
  redis.call('EXPIREAT', KEYS[15], ARGV[14])
  local tokens = tonumber(ARGV[19]) + tonumber(ARGV[23])
  -- When the call was admitted (Redis's time): at its reservation, else now.
  local admitted = now
  if res and res.at then admitted = res.at end
  local expire = {user = ARGV[10], group = ARGV[12], tenant = ARGV[14]}
  local flagged = {}
  for _, L in ipairs(levels) do
    local l = L.limits
    local is_over = false
    for _, w in ipairs(windows) do
      if window_limited(l, w) then
        local st
        if res and res.at and held_at(L, res) then
          st = window_state(L.win, w, now, res.at)
          window_write(st, tokens - res.tokens, 0, false)
        else
          st = window_state(L.win, w, now, now)
          window_write(st, tokens, 1, true)
        end
        local held = {st.t, st.r}
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
      local function now_value(f) return L.new[f] or tonumber(L.current[f] or '0') end
      if (l.tokens and now_value('in') + now_value('out') > l.tokens) or (l.cost and now_value('cost') > l.cost)
        or (l.requests and now_value('req') > l.requests) then
        is_over = true
      end
    end
    local fields = {}
    for _, c in ipairs(changes) do
      fields[#fields + 1] = c[1]
      fields[#fields + 1] = int(L.new[c[1]])
    end
    if is_over then
      L.new['ovr'] = tonumber(L.current['ovr'] or '0') + 1
      fields[#fields + 1] = 'ovr'
      fields[#fields + 1] = int(L.new['ovr'])
      flagged[#flagged + 1] = L.name
    end
    if L.legacy then
      local index = L.index
      if not index then
        index = redis.call('HINCRBY', L.cycle, '#', 1)
        fields[#fields + 1] = '@' .. model
        fields[#fields + 1] = int(index)
      end
      for _, c in ipairs(changes) do
        local before = 0
        if L.indexed and L.indexed[c[1]] then before = tonumber(L.indexed[c[1]]) end
        fields[#fields + 1] = '#' .. index .. '|' .. c[1]
        fields[#fields + 1] = int(before + tonumber(c[2]))
      end
    end
    redis.call('HSET', L.cycle, unpack(fields))
    redis.call('EXPIREAT', L.cycle, expire[L.name])
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
-- The user's totals after this call (as written above, or as stored for a duplicate).
local totals
if recorded == 1 then
  local user_level = levels[1]
  totals = {}
  for i, f in ipairs(totals_fields) do
    local v = user_level.new[f]
    if v then totals[i] = int(v) else totals[i] = user_level.current[f] or false end
  end
else
  totals = redis.call('HMGET', KEYS[5], unpack(totals_fields))
end
local rt, rc, rn = reserved_of(KEYS[3], levels[1].scope)
return {recorded, prior, totals, int(rt), int(rc), int(rn), over, binding}
