-- record, part 2 of 4 (prepended to record.lua): every stored total stays at or below 2^53, where Lua's
-- doubles are exact. check_bounds runs before any write: for each change of the event at each level, the
-- level's total and its model's total (the v1 field plus the indexed field) must stay within the bound and
-- hold integers. It fills L.new (the new totals) and L.before (the indexed model fields' current values),
-- and returns nil, or the refusal to reply: {-1, field, model or ''} past the bound, {-2, field, model or
-- ''} not an integer.
local bound = 9007199254740992
local function above_bound(s)
  return #s > 16 or (#s == 16 and s > '9007199254740992')
end
local function is_integer(s)
  return string.match(s, '^%-?%d+$') ~= nil
end
local function check_bounds(levels, changes, model)
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
  return nil
end
