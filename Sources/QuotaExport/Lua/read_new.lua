-- read_new: reads new entries for the export group and counts the sequence numbers skipped since the last
-- read by any consumer of the group: events trimmed from the stream before the group read them (dropped).
-- KEYS: 1 the stream q:{t}:x, 2 the group's high-water mark q:{t}:xe (highest n delivered to the group).
-- ARGV: 1 group, 2 consumer, 3 count. Returns {dropped, entries} (entries as XREADGROUP gives them for one
-- stream). Atomic, so several instances reading one group never count a gap twice or take another
-- instance's share for a gap. A lower n than the mark (the stream was deleted and started again) resets the
-- mark without counting.
local reply = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[3], 'STREAMS', KEYS[1], '>')
if not reply then return {0, {}} end
local entries = reply[1][2]
local mark = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
local dropped = 0
for _, entry in ipairs(entries) do
  local fields = entry[2]
  for i = 1, #fields, 2 do
    if fields[i] == 'n' then
      local n = tonumber(fields[i + 1])
      if n then
        if n > mark + 1 then dropped = dropped + (n - mark - 1) end
        mark = n
      end
      break
    end
  end
end
redis.call('SET', KEYS[2], mark)
return {dropped, entries}
