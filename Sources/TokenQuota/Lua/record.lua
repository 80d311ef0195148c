-- record: adds an event to every level (user, group, tenant, the tenant cycle's report rows) exactly once
-- (by the user's dedupe key), all or nothing. It never refuses for a limit — the call happened — but says
-- which levels ended over a limit ('over_limit'), and counts that per level (field 'ovr').
--
-- With token statistics off (ARGV 19 = 0) the totals that limits read — input, output, cost and the
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
-- ARGV (after the levels layout): 10 user cycle id, 11 user cycle EXPIREAT s, 12 group cycle id, 13 group
-- cycle EXPIREAT, 14 tenant cycle id, 15 tenant cycle EXPIREAT, 16 dedupe TTL s, 17 model, 18 error 0/1,
-- 19 token statistics 0/1, 20-29 in cin cw cw1 out rsn ain aout wsr cost, 30 priced 0/1, 31 estimated 0/1,
-- 32 reservation id or '', 33 stream MAXLEN (0 = off), 34 event id, 35 provider, 36 tenant, 37 tenant event
-- stream MAXLEN (0 = off), 38 event retention ms, 39-40 day start/end ms (the tenant's day containing
-- Redis's time, else {-3, now}), 41 day EXPIREAT s, 42 source, 43 latency ms or '', 44 occurred at ms,
-- 45 k = metadata pairs offered as dimensions, 46.. k key/value pairs.
-- KEYS (after the levels layout): 18 tenant event stream, 19 its sequence counter, 20 declared dimensions,
-- 21 the day's rows, 22 alert stream, 23 the state of the reservation id ARGV 32 (see reserve.lua; written
-- 'c|<event id>' when the event settles it, whatever the event id, so it settles exactly once).
--
-- Also, for a recorded event: the day's rows (T, u|user, g|group, and with token statistics m|model,
-- um|user|model, gm|group|model), report rows per declared dimension (d|name|value), one entry in the
-- tenant's event stream, and an alert per level, cycle limit and threshold newly reached (marker field
-- '!<limit>|<percent>' in the level's cycle hash: exactly once per cycle).
-- Returns {recorded 0/1, first "cycle|cost", {user totals...}, reserved tokens, cost, count (the user's),
-- over-limit levels 'user,group,tenant' or '', binding window as in reserve.lua or ''}, or {-1, field, model or ''} when the field would pass the
-- bound, or {-2, field, model or ''} when a stored value is not an integer, or {-7, event id, ''} when the
-- reservation was already settled by another event (nothing changes).
-- Rows holding the counts of row_fields separated by spaces (report rows, day rows): adds the event's
-- changes to each named row with one HMGET and one HSET (rows from a v1 migration are 'u|<user>|<field>'
-- fields instead, and stay as they are).
local row_fields = {'in', 'cin', 'cw', 'cw1', 'out', 'rsn', 'ain', 'aout', 'wsr', 'req', 'err', 'cost', 'unp', 'est'}
local row_count = #row_fields
local row_index = {}
for i, f in ipairs(row_fields) do row_index[f] = i end
-- A stored row splits with one match; only the counts the event changes are converted and rewritten (number
-- parsing and formatting are most of a row's cost). A row with fewer counts (absent ones are 0) is read
-- count by count.
local row_pattern = '^' .. string.rep('(%d+) ', row_count - 1) .. '(%d+)$'
local function add_rows(key, names, changes)
  local stored = redis.call('HMGET', key, unpack(names))
  local values = {}
  for r, field in ipairs(names) do
    local s = stored[r]
    local counts
    if s then counts = {string.match(s, row_pattern)} end
    if not counts or #counts ~= row_count then
      counts = {}
      for i = 1, row_count do counts[i] = '0' end
      if s then
        local i = 1
        for n in string.gmatch(s, '%d+') do
          if i > row_count then break end
          counts[i] = n
          i = i + 1
        end
      end
    end
    for _, c in ipairs(changes) do
      local i = row_index[c[1]]
      counts[i] = int(tonumber(counts[i]) + c[3])
    end
    values[#values + 1] = field
    values[#values + 1] = table.concat(counts, ' ')
  end
  redis.call('HSET', key, unpack(values))
end

-- The fields of an event stream entry that carry counts (absent = 0).
local event_fields = {['in'] = true, cin = true, cw = true, cw1 = true, out = true, rsn = true, ain = true, aout = true, wsr = true, cost = true}

-- A level's alert thresholds: one {kind, percent, marker field} per cycle limit and threshold.
local function threshold_marks(l)
  local marks = {}
  if not l.al then return marks end
  for _, kind in ipairs({'tokens', 'cost', 'requests'}) do
    if l[kind] then
      for p in string.gmatch(l.al, '%d+') do
        marks[#marks + 1] = {kind = kind, percent = tonumber(p), field = '!' .. kind .. '|' .. p}
      end
    end
  end
  return marks
end

-- A level's total of a field after this event (changed or as stored).
local function now_value(L, f) return L.new[f] or tonumber(L.current[f] or '0') end

-- ceil(value * percent / 100), exactly (value up to 9e15, percent up to 100).
local function threshold_of(value, percent)
  local q = math.floor(value / 100)
  return q * percent + math.ceil((value - q * 100) * percent / 100)
end

local bound = 9007199254740992
local function above_bound(s)
  return #s > 16 or (#s == 16 and s > '9007199254740992')
end
local function is_integer(s)
  return string.match(s, '^%-?%d+$') ~= nil
end
if now < tonumber(ARGV[39]) or now >= tonumber(ARGV[40]) then return {-3, now} end
local prior = redis.call('GET', KEYS[4])
local settled = nil
if ARGV[32] ~= '' then
  settled = redis.call('GET', KEYS[23])
  if not prior and settled and string.sub(settled, 1, 2) == 'c|' and string.sub(settled, 3) ~= ARGV[34] then
    return {-7, string.sub(settled, 3), ''}
  end
end
local recorded = 0
local over = ''
local binding, room = '', nil
if not prior then
  local model = ARGV[17]
  local m = model .. '|'
  local changes = {}
  if ARGV[18] == '1' then changes[1] = {'err', '1'} else changes[1] = {'req', '1'} end
  local stats = ARGV[19] == '1'
  local names = {'in', 'cin', 'cw', 'cw1', 'out', 'rsn', 'ain', 'aout', 'wsr', 'cost'}
  if stats then
    for i = 1, 10 do
      if ARGV[19 + i] ~= '0' then changes[#changes + 1] = {names[i], ARGV[19 + i]} end
    end
    if ARGV[30] == '0' then changes[#changes + 1] = {'unp', '1'} end
    if ARGV[31] == '1' then changes[#changes + 1] = {'est', '1'} end
  else
    for _, i in ipairs({1, 5, 10}) do
      if ARGV[19 + i] ~= '0' then changes[#changes + 1] = {names[i], ARGV[19 + i]} end
    end
  end
  -- Each change: {field, amount as given, amount as a number (used only once within the bound)}.
  for _, c in ipairs(changes) do c[3] = tonumber(c[2]) end
  -- Per-model fields: '#<n>|<field>', with '@<model>' = n once per hash (a model's name is stored once,
  -- not in every field); '<model>|<field>' fields written by schema v1 (migrated) still count.
  -- Each level's hash is read once (HMGET of the totals it uses, and the model's fields this event
  -- changes), checked, and written once (HSET of the new values).
  for _, L in ipairs(levels) do
    local with_model = stats and L.name ~= 'group'
    local names
    if L.name == 'user' then
      names = {unpack(totals_fields)}
    else
      -- Only the totals this level's checks and writes use (each field asked for costs, present or not):
      -- the changed ones, the over-limit count, and those its cycle limits compare.
      names = {'ovr'}
      local asked = {ovr = true}
      local function ask(f)
        if not asked[f] then
          asked[f] = true
          names[#names + 1] = f
        end
      end
      for _, c in ipairs(changes) do ask(c[1]) end
      if L.limits.tokens then ask('in') ask('out') end
      if L.limits.cost then ask('cost') end
      if L.limits.requests then ask('req') end
    end
    local total_count = #names
    L.marks = threshold_marks(L.limits)
    for _, mk in ipairs(L.marks) do names[#names + 1] = mk.field end
    local model_at = #names
    if with_model then
      names[#names + 1] = '@' .. model
      for _, c in ipairs(changes) do
        names[#names + 1] = m .. c[1]
      end
    end
    local values = redis.call('HMGET', L.cycle, unpack(names))
    L.current = {}
    for i = 1, total_count do L.current[names[i]] = values[i] end
    for i, mk in ipairs(L.marks) do mk.set = values[total_count + i] end
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
  -- model's total (v1 field plus indexed field). The new totals (written below, with the over-limit count)
  -- and the indexed model fields' current values come out of the same pass.
  for _, L in ipairs(levels) do
    L.new = {}
    if L.legacy then L.before = {} end
    for _, c in ipairs(changes) do
      local f = c[1]
      if above_bound(c[2]) then return {-1, f, ''} end
      local room = bound - c[3]
      local v = L.current[f]
      local n = 0
      if v then
        if not is_integer(v) then return {-2, f, ''} end
        n = tonumber(v)
        if n > room then return {-1, f, ''} end
      end
      L.new[f] = n + c[3]
      if L.legacy then
        local lv, iv = L.legacy[f], L.indexed and L.indexed[f]
        local legacy_n, indexed_n = 0, 0
        if lv then
          if not is_integer(lv) then return {-2, f, model} end
          legacy_n = tonumber(lv)
        end
        if iv then
          if not is_integer(iv) then return {-2, f, model} end
          indexed_n = tonumber(iv)
        end
        if legacy_n + indexed_n > room then return {-1, f, model} end
        L.before[f] = indexed_n
      end
    end
  end
  recorded = 1
  prior = ARGV[10] .. '|' .. ARGV[29]
  redis.call('SET', KEYS[4], prior, 'EX', ARGV[16])
  local res = nil
  if ARGV[32] ~= '' then
    res = reservation_drop(KEYS[1], KEYS[2], KEYS[3], ARGV[32])
    redis.call('SET', KEYS[23], 'c|' .. ARGV[34], 'EX', ARGV[16])
  end
  -- Report rows of the tenant cycle: one field per user ('u|<user>'), group ('g|<group>') and declared
  -- dimension value ('d|<name>|<value>'); the day's rows likewise.
  local dims = {}
  local offered = tonumber(ARGV[45])
  if offered > 0 then
    local dim_names = {}
    for i = 1, offered do dim_names[i] = ARGV[44 + 2 * i] end
    local declared = redis.call('SMISMEMBER', KEYS[20], unpack(dim_names))
    for i = 1, offered do
      if declared[i] == 1 then dims[#dims + 1] = {ARGV[44 + 2 * i], ARGV[45 + 2 * i]} end
    end
  end
  local report_names = {'u|' .. user}
  if group ~= '' then report_names[#report_names + 1] = 'g|' .. group end
  for _, d in ipairs(dims) do report_names[#report_names + 1] = 'd|' .. d[1] .. '|' .. d[2] end
  add_rows(KEYS[15], report_names, changes)
  redis.call('EXPIREAT', KEYS[15], ARGV[15])
  local day_names = {'T', 'u|' .. user}
  if group ~= '' then day_names[#day_names + 1] = 'g|' .. group end
  if stats then
    day_names[#day_names + 1] = 'm|' .. model
    day_names[#day_names + 1] = 'um|' .. user .. '|' .. model
    if group ~= '' then day_names[#day_names + 1] = 'gm|' .. group .. '|' .. model end
  end
  add_rows(KEYS[21], day_names, changes)
  redis.call('EXPIREAT', KEYS[21], ARGV[41])
  local tokens = tonumber(ARGV[20]) + tonumber(ARGV[24])
  -- When the call was admitted (Redis's time): at its reservation, else now.
  local admitted = now
  if res and res.at then admitted = res.at end
  local expire = {user = ARGV[11], group = ARGV[13], tenant = ARGV[15]}
  local cycle_of = {user = ARGV[10], group = ARGV[12], tenant = ARGV[14]}
  local subject_of = {user = user, group = group, tenant = ARGV[36]}
  local alerts = {}
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
      if (l.tokens and now_value(L, 'in') + now_value(L, 'out') > l.tokens) or (l.cost and now_value(L, 'cost') > l.cost)
        or (l.requests and now_value(L, 'req') > l.requests) then
        is_over = true
      end
    end
    local fields = {}
    for _, c in ipairs(changes) do
      fields[#fields + 1] = c[1]
      fields[#fields + 1] = int(L.new[c[1]])
    end
    for _, mk in ipairs(L.marks) do
      local used
      if mk.kind == 'tokens' then used = now_value(L, 'in') + now_value(L, 'out')
      elseif mk.kind == 'cost' then used = now_value(L, 'cost')
      else used = now_value(L, 'req') end
      local value = l[mk.kind]
      if not mk.set and used >= threshold_of(value, mk.percent) then
        fields[#fields + 1] = mk.field
        fields[#fields + 1] = '1'
        alerts[#alerts + 1] = {'type', 'quota.threshold', 'level', L.name, 'subject', subject_of[L.name], 'user', user,
          'group', group, 'limit', mk.kind, 'threshold', int(mk.percent), 'used', int(used), 'value', int(value),
          'cycle', cycle_of[L.name], 'at', int(now), 'event', ARGV[34]}
      end
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
      local prefix = '#' .. index .. '|'
      for _, c in ipairs(changes) do
        fields[#fields + 1] = prefix .. c[1]
        fields[#fields + 1] = int(L.before[c[1]] + c[3])
      end
    end
    redis.call('HSET', L.cycle, unpack(fields))
    redis.call('EXPIREAT', L.cycle, expire[L.name])
  end
  over = table.concat(flagged, ',')
  for _, a in ipairs(alerts) do add_alert(KEYS[22], a) end
  local events_maxlen = tonumber(ARGV[37])
  if events_maxlen > 0 then
    local n = redis.call('INCR', KEYS[19])
    local entry = {'n', int(n), 'e', ARGV[34], 'u', user, 'g', group, 'm', model, 'p', ARGV[35], 's', ARGV[42],
      'at', ARGV[44], 'rt', int(now), 'lat', ARGV[43], 'err', ARGV[18]}
    for _, c in ipairs(changes) do
      if event_fields[c[1]] then
        entry[#entry + 1] = c[1]
        entry[#entry + 1] = c[2]
      end
    end
    for _, d in ipairs(dims) do
      entry[#entry + 1] = 'd:' .. d[1]
      entry[#entry + 1] = d[2]
    end
    redis.call('XADD', KEYS[18], 'MAXLEN', '~', events_maxlen, '*', unpack(entry))
    local retention = tonumber(ARGV[38])
    if n % 256 == 0 then redis.call('XTRIM', KEYS[18], 'MINID', '~', int(now - retention)) end
    redis.call('PEXPIRE', KEYS[18], retention)
  end
  local maxlen = tonumber(ARGV[33])
  if maxlen > 0 then
    redis.call('XADD', KEYS[16], 'MAXLEN', '~', maxlen, '*', 'event', ARGV[34], 'cycle', ARGV[10], 'group', group,
      'model', model, 'provider', ARGV[35], 'error', ARGV[18], 'in', ARGV[20], 'cin', ARGV[21], 'cw', ARGV[22],
      'cw1', ARGV[23], 'out', ARGV[24], 'rsn', ARGV[25], 'ain', ARGV[26], 'aout', ARGV[27], 'wsr', ARGV[28],
      'cost', ARGV[29], 'priced', ARGV[30], 'estimated', ARGV[31], 'over', over, 'at', int(admitted))
    redis.call('EXPIREAT', KEYS[16], ARGV[11])
  end
elseif ARGV[32] ~= '' then
  reservation_drop(KEYS[1], KEYS[2], KEYS[3], ARGV[32])
  if not settled or string.sub(settled, 1, 2) ~= 'c|' then redis.call('SET', KEYS[23], 'c|' .. ARGV[34], 'EX', ARGV[16]) end
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
