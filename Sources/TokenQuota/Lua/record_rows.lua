-- record, part 1 of 4 (prepended to record.lua): the rows that hold counts as one string per row — the
-- tenant cycle's report rows ('u|<user>', 'g|<group>', 'd|<name>|<value>') and the day's rows ('T',
-- 'u|<user>', 'g|<group>', 'm|<model>', 'um|<user>|<model>', 'gm|<group>|<model>').
--
-- A row is the counts of row_fields separated by spaces. add_rows adds an event's changes to each named
-- row with one HMGET and one HSET (rows from a v1 migration are 'u|<user>|<field>' fields instead, and stay
-- as they are). A stored row splits with one match; only the counts the event changes are converted and
-- rewritten (number parsing and formatting are most of a row's cost). A row with fewer counts (absent ones
-- are 0) is read count by count.
local row_fields = {'in', 'cin', 'cw', 'cw1', 'out', 'rsn', 'ain', 'aout', 'wsr', 'req', 'err', 'cost', 'unp', 'est'}
local row_count = #row_fields
local row_index = {}
for i, f in ipairs(row_fields) do row_index[f] = i end
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
