-- record, part 3 of 4 (prepended to record.lua): alert thresholds and cycle limits of a level after the
-- event. A threshold alert is raised once per level, cycle, limit and percent: its marker field
-- '!<limit>|<percent>' in the level's cycle hash says it was.

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

-- What a limit of `kind` counts at a level after this event.
local function used_of(L, kind)
  if kind == 'tokens' then return now_value(L, 'in') + now_value(L, 'out') end
  if kind == 'cost' then return now_value(L, 'cost') end
  return now_value(L, 'req')
end

-- ceil(value * percent / 100), exactly (value up to 9e15, percent up to 100).
local function threshold_of(value, percent)
  local q = math.floor(value / 100)
  return q * percent + math.ceil((value - q * 100) * percent / 100)
end

-- Whether a level is over one of its cycle limits after this event.
local function over_cycle_limit(L)
  local l = L.limits
  return (l.tokens and used_of(L, 'tokens') > l.tokens) or (l.cost and used_of(L, 'cost') > l.cost)
    or (l.requests and used_of(L, 'requests') > l.requests)
end
