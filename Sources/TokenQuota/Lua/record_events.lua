-- record, part 4 of 4 (prepended to record.lua): the tenant's stream of recorded events (export source,
-- `GET …/events`), one entry per recorded event — the one event stream, its fields decoded by
-- EventStreamEntry (TokenQuota): n sequence, e event id, u user, g group, m model, pa the price entry that
-- matched ('' = unpriced), p provider, s source, at occurred at (ms, as the caller said), adm admitted (ms,
-- Redis's time at the reservation, else at recording), rt recorded at (ms, Redis's time), lat latency ms
-- ('' = unknown), err 0/1, the non-zero counts in cin cw cw1 out rsn ain aout wsr cost, and d:<name> per
-- declared dimension. Capped at `maxlen` entries (approximately) and `retention` ms.
local event_fields = {['in'] = true, cin = true, cw = true, cw1 = true, out = true, rsn = true, ain = true, aout = true, wsr = true, cost = true}
local function append_event(stream, sequence, maxlen, retention, e, changes, dims)
  local n = redis.call('INCR', sequence)
  local entry = {'n', int(n), 'e', e.id, 'u', e.user, 'g', e.group, 'm', e.model, 'pa', e.priced_as, 'p', e.provider,
    's', e.source, 'at', e.occurred_at, 'adm', int(e.admitted), 'rt', int(e.recorded), 'lat', e.latency, 'err', e.error}
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
  redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', unpack(entry))
  if n % 256 == 0 then redis.call('XTRIM', stream, 'MINID', '~', int(e.recorded - retention)) end
  redis.call('PEXPIRE', stream, retention)
end
