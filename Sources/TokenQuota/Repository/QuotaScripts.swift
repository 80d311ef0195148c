import AsyncRedis

/// The Lua scripts of ``RedisQuotaRepository``. Each touches only one user's keys (one hash tag, so one
/// Redis Cluster slot) and runs atomically.
///
/// Numbers: counters are changed with HINCRBY (exact 64-bit integers). Sums computed in Lua (reserved
/// amounts, limit checks) use Lua doubles, exact up to 2^53. Every stored total is therefore kept at or
/// below ``totalBound`` (2^53 = 9,007,199,254,740,992 tokens, requests or nano-USD, i.e. about $9M per user
/// and cycle): the record script refuses, before changing anything, an event that would push any total
/// past it. Limits are capped at 9 × 10^15, below the bound.
enum QuotaScripts {
    /// The largest value a stored total may reach: 2^53, the last integer up to which Lua's doubles count
    /// exactly (so the record script's comparison against it is exact).
    static let totalBound = 9_007_199_254_740_992

    /// The count fields an event adds (hash field names), in the order of the record script's ARGV 8-17.
    static let countFields = ["in", "cin", "cw", "cw1", "out", "rsn", "ain", "aout", "wsr", "cost"]

    /// The totals the record script returns, in this order.
    static let totalsFields = ["in", "cin", "cw", "cw1", "out", "rsn", "ain", "aout", "wsr", "req", "err", "cost", "unp", "est"]

    /// Shared helpers: Redis's time in milliseconds (the one clock every decision uses), and the
    /// reservations: a hash (id → `tokens|cost|expires ms`), a zset by expiry, and running totals (`t c n`)
    /// so that no call sums over every held reservation. `active_reserved` drops the expired ones (only
    /// those: each reservation is dropped once) and answers the totals; it rebuilds them from the hash
    /// once when they are missing (data written before they existed).
    static let reservedFunction = """
    local function redis_now()
      local t = redis.call('TIME')
      return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    end
    local function reserved_adjust(skey, t, c, n)
      local left = redis.call('HINCRBY', skey, 'n', n)
      if left <= 0 then
        redis.call('DEL', skey)
        return
      end
      redis.call('HINCRBY', skey, 't', string.format('%d', t))
      redis.call('HINCRBY', skey, 'c', string.format('%d', c))
    end
    local function reservation_drop(hkey, zkey, skey, id)
      local v = redis.call('HGET', hkey, id)
      if not v then return nil end
      redis.call('HDEL', hkey, id)
      redis.call('ZREM', zkey, id)
      local t, c = string.match(v, '^(%d+)|(%d+)|')
      reserved_adjust(skey, -tonumber(t), -tonumber(c), -1)
      return v
    end
    local function active_reserved(hkey, zkey, skey, now)
      if redis.call('EXISTS', skey) == 0 and redis.call('HLEN', hkey) > 0 then
        local tokens, cost, count = 0, 0, 0
        for _, v in ipairs(redis.call('HVALS', hkey)) do
          local t, c = string.match(v, '^(%d+)|(%d+)|')
          tokens, cost, count = tokens + tonumber(t), cost + tonumber(c), count + 1
        end
        reserved_adjust(skey, tokens, cost, count)
        local ttl = redis.call('PTTL', hkey)
        if ttl > 0 then redis.call('PEXPIRE', skey, ttl) end
      end
      local expired = redis.call('ZRANGEBYSCORE', zkey, '-inf', now)
      for _, id in ipairs(expired) do reservation_drop(hkey, zkey, skey, id) end
      local s = redis.call('HMGET', skey, 't', 'c', 'n')
      return tonumber(s[1] or '0'), tonumber(s[2] or '0'), tonumber(s[3] or '0')
    end
    local totals_fields = {'in', 'cin', 'cw', 'cw1', 'out', 'rsn', 'ain', 'aout', 'wsr', 'req', 'err', 'cost', 'unp', 'est'}

    """

    /// record(event): idempotent by event id, and all or nothing.
    ///
    /// With token statistics off (ARGV 7 = 0) the totals that limits read — input, output, cost and the
    /// request count — still count; the other classes and the per-model breakdown are not stored. Settings
    /// never switch enforcement off.
    ///
    /// Before any write (including the dedupe key) it checks every total and per-model total the event
    /// would change against ``totalBound``; if one would pass it, nothing is changed and the reply names it,
    /// so a retry of the same event id is refused the same way (never taken for a duplicate).
    ///
    /// The cycle is the caller's estimate: when Redis's time lies outside [ARGV 1, ARGV 24) the script
    /// changes nothing and returns {-3, Redis time ms}, and the caller asks again for the right cycle.
    ///
    /// Settling the reservation (ARGV 20) happens for a duplicate too: a retried commit releases what the
    /// first one left held.
    ///
    /// KEYS: 1 cycle hash, 2 dedupe key, 3 reservations hash, 4 reservation expiry zset, 5 audit stream,
    /// 6 reservation totals.
    /// ARGV: 1 cycle start ms, 2 dedupe TTL s, 3 cycle id, 4 cycle key EXPIREAT (unix s), 5 model, 6 error 0/1,
    /// 7 token statistics 0/1, 8-17 in cin cw cw1 out rsn ain aout wsr cost (``countFields``), 18 priced 0/1,
    /// 19 estimated 0/1, 20 reservation id or '', 21 stream MAXLEN (0 = off), 22 event id, 23 provider,
    /// 24 cycle end ms.
    /// Returns {recorded 0/1, first "cycle|cost", {totals...}, reserved tokens, reserved cost, reserved count},
    /// or {-1, field, model or ''} when the field would pass the bound, or {-2, field, model or ''} when a
    /// stored value is not an integer (nothing changed in both cases).
    static let record = RedisScript(reservedFunction + """
    local bound = \(totalBound)
    -- Whether a decimal count (no sign, no leading zeros) exceeds the bound, decided on the digits (exact).
    local function above_bound(s)
      return #s > 16 or (#s == 16 and s > '\(totalBound)')
    end
    local now = redis_now()
    if now < tonumber(ARGV[1]) or now >= tonumber(ARGV[24]) then return {-3, now} end
    local prior = redis.call('GET', KEYS[2])
    local recorded = 0
    if not prior then
      local h = KEYS[1]
      local m = ARGV[5] .. '|'
      local changes = {}
      if ARGV[6] == '1' then changes[1] = {'err', '1'} else changes[1] = {'req', '1'} end
      local stats = ARGV[7] == '1'
      local names = {'in', 'cin', 'cw', 'cw1', 'out', 'rsn', 'ain', 'aout', 'wsr', 'cost'}
      if stats then
        for i = 1, 10 do
          if ARGV[7 + i] ~= '0' then changes[#changes + 1] = {names[i], ARGV[7 + i]} end
        end
        if ARGV[18] == '0' then changes[#changes + 1] = {'unp', '1'} end
        if ARGV[19] == '1' then changes[#changes + 1] = {'est', '1'} end
      else
        -- Statistics off: the totals that limits read (input, output, cost, requests) still count.
        for _, i in ipairs({1, 5, 10}) do
          if ARGV[7 + i] ~= '0' then changes[#changes + 1] = {names[i], ARGV[7 + i]} end
        end
      end
      -- Check every total this event changes before writing anything.
      local fields = {}
      for _, c in ipairs(changes) do
        fields[#fields + 1] = c[1]
        fields[#fields + 1] = m .. c[1]
      end
      local current = redis.call('HMGET', h, unpack(fields))
      for i, c in ipairs(changes) do
        if above_bound(c[2]) then return {-1, c[1], ''} end
        local room = bound - tonumber(c[2])
        for j = 0, 1 do
          local v = current[2 * i - 1 + j]
          if v then
            local model = ''
            if j == 1 then model = ARGV[5] end
            if not string.match(v, '^%-?%d+$') then return {-2, c[1], model} end
            if tonumber(v) > room then return {-1, c[1], model} end
          end
        end
      end
      recorded = 1
      prior = ARGV[3] .. '|' .. ARGV[17]
      redis.call('SET', KEYS[2], prior, 'EX', ARGV[2])
      if ARGV[20] ~= '' then reservation_drop(KEYS[3], KEYS[4], KEYS[6], ARGV[20]) end
      for _, c in ipairs(changes) do
        redis.call('HINCRBY', h, c[1], c[2])
        if stats then redis.call('HINCRBY', h, m .. c[1], c[2]) end
      end
      redis.call('EXPIREAT', h, ARGV[4])
      local maxlen = tonumber(ARGV[21])
      if maxlen > 0 then
        redis.call('XADD', KEYS[5], 'MAXLEN', '~', maxlen, '*', 'event', ARGV[22], 'cycle', ARGV[3],
          'model', ARGV[5], 'provider', ARGV[23], 'error', ARGV[6], 'in', ARGV[8], 'cin', ARGV[9], 'cw', ARGV[10],
          'cw1', ARGV[11], 'out', ARGV[12], 'rsn', ARGV[13], 'ain', ARGV[14], 'aout', ARGV[15], 'wsr', ARGV[16],
          'cost', ARGV[17], 'priced', ARGV[18], 'estimated', ARGV[19])
        redis.call('EXPIREAT', KEYS[5], ARGV[4])
      end
    elseif ARGV[20] ~= '' then
      reservation_drop(KEYS[3], KEYS[4], KEYS[6], ARGV[20])
    end
    local totals = redis.call('HMGET', KEYS[1], unpack(totals_fields))
    local rt, rc, rn = active_reserved(KEYS[3], KEYS[4], KEYS[6], now)
    return {recorded, prior, totals, rt, rc, rn}
    """)

    /// reserve(user, estimate): holds quota unless used + reserved + requested exceeds a limit.
    ///
    /// On a rejection it also finds the earliest moment the request could fit: it walks the active
    /// reservations by expiry, subtracting what each holds, until every limit has room; that expiry is the
    /// retry time. When even releasing every reservation would not make room, there is none ('').
    ///
    /// Expiry is Redis's time plus the TTL; as for record, a cycle that does not contain Redis's time is
    /// refused with {-3, Redis time ms}.
    ///
    /// A reservation id that was already committed (its dedupe key exists) is refused with {-4}; a user
    /// holding ARGV 10 active reservations is refused with {-5, count}.
    ///
    /// KEYS: 1 cycle hash, 2 reservations hash, 3 reservation expiry zset, 4 user quota hash, 5 reservation
    /// totals, 6 the dedupe key of the reservation id.
    /// ARGV: 1 cycle start ms, 2 reservation id, 3 tokens, 4 cost, 5 TTL ms, 6-8 tenant default limits
    /// (tokens, cost, requests; '' = unlimited), used when the user has no quota of their own, 9 cycle end ms,
    /// 10 most active reservations per user.
    /// Returns {1, id, expires ms} or {0, limit name, limit, used, reserved, requested, retry ms or '',
    /// Redis time ms}.
    static let reserve = RedisScript(reservedFunction + """
    local now = redis_now()
    if now < tonumber(ARGV[1]) or now >= tonumber(ARGV[9]) then return {-3, now} end
    local expires_at = string.format('%d', now + tonumber(ARGV[5]))
    local id = ARGV[2]
    local existing = redis.call('HGET', KEYS[2], id)
    if existing then
      local expires = string.match(existing, '|(%d+)$')
      if tonumber(expires) > now then return {1, id, expires} end
    end
    if redis.call('EXISTS', KEYS[6]) == 1 then return {-4} end
    local q = redis.call('HMGET', KEYS[4], 'own', 'tokens', 'cost', 'requests')
    local lt, lc, lr
    if q[1] then lt, lc, lr = q[2], q[3], q[4] else lt, lc, lr = ARGV[6], ARGV[7], ARGV[8] end
    if lt == '' then lt = nil end
    if lc == '' then lc = nil end
    if lr == '' then lr = nil end
    local u = redis.call('HMGET', KEYS[1], 'in', 'out', 'cost', 'req')
    local used_tokens = tonumber(u[1] or '0') + tonumber(u[2] or '0')
    local used_cost = tonumber(u[3] or '0')
    local used_requests = tonumber(u[4] or '0')
    local rt, rc, rn = active_reserved(KEYS[2], KEYS[3], KEYS[5], now)
    if rn >= tonumber(ARGV[10]) then return {-5, rn} end
    local tokens = tonumber(ARGV[3])
    local cost = tonumber(ARGV[4])
    -- The first limit that would be exceeded with t tokens, c cost and n requests held, or nil.
    local function exceeded(t, c, n)
      if lt and used_tokens + t + tokens > tonumber(lt) then return 'tokens' end
      if lc and used_cost + c + cost > tonumber(lc) then return 'cost' end
      if lr and used_requests + n + 1 > tonumber(lr) then return 'requests' end
      return nil
    end
    local kind = exceeded(rt, rc, rn)
    if kind then
      local retry = ''
      local order = redis.call('ZRANGE', KEYS[3], 0, -1, 'WITHSCORES')
      local t, c, n = rt, rc, rn
      for i = 1, #order, 2 do
        local v = redis.call('HGET', KEYS[2], order[i])
        if v then
          local vt, vc = string.match(v, '^(%d+)|(%d+)|')
          t = t - tonumber(vt)
          c = c - tonumber(vc)
          n = n - 1
        end
        if not exceeded(t, c, n) then
          retry = order[i + 1]
          break
        end
      end
      if kind == 'tokens' then return {0, 'tokens', lt, used_tokens, rt, tokens, retry, now} end
      if kind == 'cost' then return {0, 'cost', lc, used_cost, rc, cost, retry, now} end
      return {0, 'requests', lr, used_requests, rn, 1, retry, now}
    end
    redis.call('HSET', KEYS[2], id, ARGV[3] .. '|' .. ARGV[4] .. '|' .. expires_at)
    redis.call('ZADD', KEYS[3], expires_at, id)
    reserved_adjust(KEYS[5], tokens, cost, 1)
    local last = redis.call('ZRANGE', KEYS[3], -1, -1, 'WITHSCORES')
    redis.call('PEXPIREAT', KEYS[2], last[2])
    redis.call('PEXPIREAT', KEYS[3], last[2])
    redis.call('PEXPIREAT', KEYS[5], last[2])
    return {1, id, expires_at}
    """)

    /// release(reservation). KEYS: 1 reservations hash, 2 expiry zset, 3 reservation totals. ARGV: 1 unused,
    /// 2 id. Returns 1 if an active reservation (by Redis's time) was dropped, else 0.
    static let release = RedisScript(reservedFunction + """
    local value = reservation_drop(KEYS[1], KEYS[2], KEYS[3], ARGV[2])
    if not value then return 0 end
    local expires = string.match(value, '|(%d+)$')
    if tonumber(expires) <= redis_now() then return 0 end
    return 1
    """)

    /// Reads a cycle's hash and the active reservations (by Redis's time). KEYS: 1 cycle hash,
    /// 2 reservations hash, 3 expiry zset, 4 reservation totals. Returns {flat HGETALL, reserved tokens,
    /// cost, count}.
    static let read = RedisScript(reservedFunction + """
    local all = redis.call('HGETALL', KEYS[1])
    local rt, rc, rn = active_reserved(KEYS[2], KEYS[3], KEYS[4], redis_now())
    return {all, rt, rc, rn}
    """)

    /// Replaces a quota hash atomically. KEYS: 1 quota hash. ARGV: field, value, field, value, ...
    /// (no ARGV: delete).
    static let replaceHash = RedisScript("""
    redis.call('DEL', KEYS[1])
    if #ARGV > 0 then redis.call('HSET', KEYS[1], unpack(ARGV)) end
    return 1
    """)
}
