-- record: adds an event to every level (user, group, tenant, the tenant cycle's report rows) exactly once
-- (by the user's dedupe key), all or nothing. It never refuses for a limit — the call happened — but says
-- which levels ended over a limit ('over_limit'), and counts that per level (field 'ovr').
--
-- Prepended, in this order: common.lua, levels.lua (the level layout, KEYS 1-17 and ARGV 1-9),
-- record_rows.lua, record_bounds.lua, record_thresholds.lua, record_events.lua.
--
-- With token statistics off the totals that limits read — input, output, cost and the request count — still
-- count; the other classes and the per-model breakdowns are not stored. Before any write (the dedupe key
-- included) it checks every total the event would change, at every level, against the bound (2^53); if one
-- would pass it, nothing changes and the reply names it, so a retry is refused the same way (never taken for
-- a duplicate).
--
-- Rate windows: an event without a reservation adds its tokens and one request to the windows of every
-- level that has a window limit; an event that settles a reservation trues the reservation's estimate
-- (held in the window since the reserve) up or down to the actual tokens.
--
-- Also, for a recorded event: the day's rows, report rows per declared dimension, one entry in the tenant's
-- event stream, and an alert per level, cycle limit and threshold newly reached.
--
-- Returns {recorded 0/1, first "cycle|cost", {user totals...}, reserved tokens, cost, count (the user's),
-- over-limit levels 'user,group,tenant' or '', binding window as in reserve.lua or ''}; or a refusal that
-- changes nothing: {-1, field, model or ''} when the field would pass the bound, {-2, field, model or ''}
-- when a stored value is not an integer, {-7, event id, ''} when the reservation was already settled by
-- another event (and levels.lua's -3 and -6).

-- KEYS after the level layout (KEYS 16 is not used by record).
local events_key, events_sequence, declared_key, day_key, alerts_key, reservation_state =
  KEYS[18], KEYS[19], KEYS[20], KEYS[21], KEYS[22], KEYS[23]
-- ARGV after the level layout.
local cycle_id = {user = ARGV[10], group = ARGV[12], tenant = ARGV[14]}
local cycle_expire = {user = ARGV[11], group = ARGV[13], tenant = ARGV[15]}
local dedupe_ttl, model, is_error, stats = ARGV[16], ARGV[17], ARGV[18], ARGV[19] == '1'
-- ARGV 20-29: the counts, in this order.
local count_names = {'in', 'cin', 'cw', 'cw1', 'out', 'rsn', 'ain', 'aout', 'wsr', 'cost'}
local priced, estimated, reservation_id, priced_as = ARGV[30] == '1', ARGV[31] == '1', ARGV[32], ARGV[33]
local event_id, provider, tenant = ARGV[34], ARGV[35], ARGV[36]
local events_maxlen, retention_ms = tonumber(ARGV[37]), tonumber(ARGV[38])
local day_start, day_end, day_expire = tonumber(ARGV[39]), tonumber(ARGV[40]), ARGV[41]
local source, latency, occurred_at = ARGV[42], ARGV[43], ARGV[44]
local offered = tonumber(ARGV[45])
-- ARGV 46..: `offered` metadata key/value pairs, dimensions if the tenant declared them.

if now < day_start or now >= day_end then return {-3, now} end
local prior = redis.call('GET', KEYS[4])
local settled = nil
if reservation_id ~= '' then
  settled = redis.call('GET', reservation_state)
  if not prior and settled and string.sub(settled, 1, 2) == 'c|' and string.sub(settled, 3) ~= event_id then
    return {-7, string.sub(settled, 3), ''}
  end
end

-- The changes the event makes: {field, amount as given, amount as a number (used only once within the bound)}.
local function changes_of()
  local changes = {}
  if is_error == '1' then changes[1] = {'err', '1'} else changes[1] = {'req', '1'} end
  local counted = {1, 5, 10}
  if stats then counted = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10} end
  for _, i in ipairs(counted) do
    if ARGV[19 + i] ~= '0' then changes[#changes + 1] = {count_names[i], ARGV[19 + i]} end
  end
  if stats and not priced then changes[#changes + 1] = {'unp', '1'} end
  if stats and estimated then changes[#changes + 1] = {'est', '1'} end
  for _, c in ipairs(changes) do c[3] = tonumber(c[2]) end
  return changes
end

-- Reads each level's hash once (HMGET of the totals it uses, its threshold markers, and the model's fields
-- this event changes). Per-model fields: '#<n>|<field>', with '@<model>' = n once per hash (a model's name
-- is stored once, not in every field); '<model>|<field>' fields written by schema v1 (migrated) still count.
local function read_levels(changes)
  local m = model .. '|'
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
      for _, c in ipairs(changes) do names[#names + 1] = m .. c[1] end
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
end

-- The declared dimensions among the offered metadata: {name, value} pairs.
local function declared_dimensions()
  local dims = {}
  if offered == 0 then return dims end
  local dim_names = {}
  for i = 1, offered do dim_names[i] = ARGV[44 + 2 * i] end
  local declared = redis.call('SMISMEMBER', declared_key, unpack(dim_names))
  for i = 1, offered do
    if declared[i] == 1 then dims[#dims + 1] = {ARGV[44 + 2 * i], ARGV[45 + 2 * i]} end
  end
  return dims
end

-- The report rows of the tenant cycle and the day's rows.
local function write_rows(changes, dims)
  local report_names = {'u|' .. user}
  if group ~= '' then report_names[#report_names + 1] = 'g|' .. group end
  for _, d in ipairs(dims) do report_names[#report_names + 1] = 'd|' .. d[1] .. '|' .. d[2] end
  add_rows(KEYS[15], report_names, changes)
  redis.call('EXPIREAT', KEYS[15], cycle_expire.tenant)
  local day_names = {'T', 'u|' .. user}
  if group ~= '' then day_names[#day_names + 1] = 'g|' .. group end
  if stats then
    day_names[#day_names + 1] = 'm|' .. model
    day_names[#day_names + 1] = 'um|' .. user .. '|' .. model
    if group ~= '' then day_names[#day_names + 1] = 'gm|' .. group .. '|' .. model end
  end
  add_rows(day_key, day_names, changes)
  redis.call('EXPIREAT', day_key, day_expire)
end

local recorded = 0
local over = ''
local binding, room = '', nil
if not prior then
  local changes = changes_of()
  read_levels(changes)
  local refused = check_bounds(levels, changes, model)
  if refused then return refused end
  recorded = 1
  prior = cycle_id.user .. '|' .. ARGV[29]
  redis.call('SET', KEYS[4], prior, 'EX', dedupe_ttl)
  local res = nil
  if reservation_id ~= '' then
    res = reservation_drop(KEYS[1], KEYS[2], KEYS[3], reservation_id)
    redis.call('SET', reservation_state, 'c|' .. event_id, 'EX', dedupe_ttl)
  end
  local dims = declared_dimensions()
  write_rows(changes, dims)
  local tokens = tonumber(ARGV[20]) + tonumber(ARGV[24])
  -- When the call was admitted (Redis's time): at its reservation, else now.
  local admitted = now
  if res and res.at then admitted = res.at end
  local subject_of = {user = user, group = group, tenant = tenant}
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
    if over_cycle_limit(L) then is_over = true end
    local fields = {}
    for _, c in ipairs(changes) do
      fields[#fields + 1] = c[1]
      fields[#fields + 1] = int(L.new[c[1]])
    end
    for _, mk in ipairs(L.marks) do
      local used = used_of(L, mk.kind)
      local value = l[mk.kind]
      if not mk.set and used >= threshold_of(value, mk.percent) then
        fields[#fields + 1] = mk.field
        fields[#fields + 1] = '1'
        alerts[#alerts + 1] = {'type', 'quota.threshold', 'level', L.name, 'subject', subject_of[L.name], 'user', user,
          'group', group, 'limit', mk.kind, 'threshold', int(mk.percent), 'used', int(used), 'value', int(value),
          'cycle', cycle_id[L.name], 'at', int(now), 'event', event_id}
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
    redis.call('EXPIREAT', L.cycle, cycle_expire[L.name])
  end
  over = table.concat(flagged, ',')
  for _, a in ipairs(alerts) do add_alert(alerts_key, a) end
  if events_maxlen > 0 then
    append_event(events_key, events_sequence, events_maxlen, retention_ms, {
      id = event_id, user = user, group = group, model = model, priced_as = priced_as, provider = provider,
      source = source, occurred_at = occurred_at, admitted = admitted, recorded = now, latency = latency, error = is_error,
    }, changes, dims)
  end
elseif reservation_id ~= '' then
  reservation_drop(KEYS[1], KEYS[2], KEYS[3], reservation_id)
  if not settled or string.sub(settled, 1, 2) ~= 'c|' then redis.call('SET', reservation_state, 'c|' .. event_id, 'EX', dedupe_ttl) end
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
