import AsyncRedis

/// The Lua scripts of ``RedisQuotaRepository``. Each touches only one user's keys (one hash tag, so one
/// Redis Cluster slot) and runs atomically.
///
/// Numbers: counters are changed with HINCRBY (exact 64-bit integers). Sums computed in Lua (reserved
/// amounts, limit checks) use Lua doubles, exact below 2^53 (9 × 10^15 tokens or nano-USD, i.e. $9M per
/// user and cycle).
enum QuotaScripts {
    /// Shared helper: drops expired reservations and sums the active ones. Returns tokens, cost, count.
    static let reservedFunction = """
    local function active_reserved(hkey, zkey, now)
      local expired = redis.call('ZRANGEBYSCORE', zkey, '-inf', now)
      for _, id in ipairs(expired) do
        redis.call('HDEL', hkey, id)
      end
      if #expired > 0 then redis.call('ZREMRANGEBYSCORE', zkey, '-inf', now) end
      local values = redis.call('HVALS', hkey)
      local tokens, cost = 0, 0
      for _, v in ipairs(values) do
        local t, c = string.match(v, '^(%d+)|(%d+)|')
        tokens = tokens + tonumber(t)
        cost = cost + tonumber(c)
      end
      return tokens, cost, #values
    end
    local totals_fields = {'in', 'cin', 'cw', 'cw1', 'out', 'rsn', 'req', 'err', 'cost', 'unp', 'est'}

    """

    /// record(event): idempotent by event id.
    ///
    /// KEYS: 1 cycle hash, 2 dedupe key, 3 reservations hash, 4 reservation expiry zset, 5 audit stream.
    /// ARGV: 1 now ms, 2 dedupe TTL s, 3 cycle id, 4 cycle key EXPIREAT (unix s), 5 model, 6 error 0/1,
    /// 7 token statistics 0/1, 8-13 in cin cw cw1 out rsn, 14 cost, 15 priced 0/1, 16 estimated 0/1,
    /// 17 reservation id or '', 18 stream MAXLEN (0 = off), 19 event id, 20 provider.
    /// Returns {recorded 0/1, first "cycle|cost", {totals...}, reserved tokens, reserved cost, reserved count}.
    static let record = RedisScript(reservedFunction + """
    local now = tonumber(ARGV[1])
    local prior = redis.call('GET', KEYS[2])
    local recorded = 0
    if not prior then
      recorded = 1
      prior = ARGV[3] .. '|' .. ARGV[14]
      redis.call('SET', KEYS[2], prior, 'EX', ARGV[2])
      if ARGV[17] ~= '' then
        redis.call('HDEL', KEYS[3], ARGV[17])
        redis.call('ZREM', KEYS[4], ARGV[17])
      end
      local h = KEYS[1]
      local m = ARGV[5] .. '|'
      if ARGV[6] == '1' then
        redis.call('HINCRBY', h, 'err', 1)
        redis.call('HINCRBY', h, m .. 'err', 1)
      else
        redis.call('HINCRBY', h, 'req', 1)
        redis.call('HINCRBY', h, m .. 'req', 1)
      end
      if ARGV[7] == '1' then
        local names = {'in', 'cin', 'cw', 'cw1', 'out', 'rsn', 'cost'}
        local values = {ARGV[8], ARGV[9], ARGV[10], ARGV[11], ARGV[12], ARGV[13], ARGV[14]}
        for i = 1, 7 do
          if values[i] ~= '0' then
            redis.call('HINCRBY', h, names[i], values[i])
            redis.call('HINCRBY', h, m .. names[i], values[i])
          end
        end
        if ARGV[15] == '0' then
          redis.call('HINCRBY', h, 'unp', 1)
          redis.call('HINCRBY', h, m .. 'unp', 1)
        end
        if ARGV[16] == '1' then
          redis.call('HINCRBY', h, 'est', 1)
          redis.call('HINCRBY', h, m .. 'est', 1)
        end
      end
      redis.call('EXPIREAT', h, ARGV[4])
      local maxlen = tonumber(ARGV[18])
      if maxlen > 0 then
        redis.call('XADD', KEYS[5], 'MAXLEN', '~', maxlen, '*', 'event', ARGV[19], 'cycle', ARGV[3],
          'model', ARGV[5], 'provider', ARGV[20], 'error', ARGV[6], 'in', ARGV[8], 'cin', ARGV[9], 'cw', ARGV[10],
          'out', ARGV[12], 'rsn', ARGV[13], 'cost', ARGV[14], 'priced', ARGV[15], 'estimated', ARGV[16])
        redis.call('EXPIREAT', KEYS[5], ARGV[4])
      end
    end
    local totals = redis.call('HMGET', KEYS[1], unpack(totals_fields))
    local rt, rc, rn = active_reserved(KEYS[3], KEYS[4], now)
    return {recorded, prior, totals, rt, rc, rn}
    """)

    /// reserve(user, estimate): holds quota unless used + reserved + requested exceeds a limit.
    ///
    /// KEYS: 1 cycle hash, 2 reservations hash, 3 reservation expiry zset, 4 user quota hash.
    /// ARGV: 1 now ms, 2 reservation id, 3 tokens, 4 cost, 5 expires ms, 6-8 tenant default limits
    /// (tokens, cost, requests; '' = unlimited), used when the user has no quota of their own.
    /// Returns {1, id, expires ms} or {0, limit name, limit, used, reserved, requested}.
    static let reserve = RedisScript(reservedFunction + """
    local now = tonumber(ARGV[1])
    local id = ARGV[2]
    local existing = redis.call('HGET', KEYS[2], id)
    if existing then
      local expires = string.match(existing, '|(%d+)$')
      if tonumber(expires) > now then return {1, id, expires} end
    end
    local q = redis.call('HMGET', KEYS[4], 'own', 'tokens', 'cost', 'requests')
    local lt, lc, lr
    if q[1] then lt, lc, lr = q[2], q[3], q[4] else lt, lc, lr = ARGV[6], ARGV[7], ARGV[8] end
    local u = redis.call('HMGET', KEYS[1], 'in', 'out', 'cost', 'req')
    local used_tokens = tonumber(u[1] or '0') + tonumber(u[2] or '0')
    local used_cost = tonumber(u[3] or '0')
    local used_requests = tonumber(u[4] or '0')
    local rt, rc, rn = active_reserved(KEYS[2], KEYS[3], now)
    local tokens = tonumber(ARGV[3])
    local cost = tonumber(ARGV[4])
    if lt and lt ~= '' and used_tokens + rt + tokens > tonumber(lt) then
      return {0, 'tokens', lt, tostring(used_tokens), tostring(rt), ARGV[3]}
    end
    if lc and lc ~= '' and used_cost + rc + cost > tonumber(lc) then
      return {0, 'cost', lc, tostring(used_cost), tostring(rc), ARGV[4]}
    end
    if lr and lr ~= '' and used_requests + rn + 1 > tonumber(lr) then
      return {0, 'requests', lr, tostring(used_requests), tostring(rn), '1'}
    end
    redis.call('HSET', KEYS[2], id, ARGV[3] .. '|' .. ARGV[4] .. '|' .. ARGV[5])
    redis.call('ZADD', KEYS[3], ARGV[5], id)
    local last = redis.call('ZRANGE', KEYS[3], -1, -1, 'WITHSCORES')
    redis.call('PEXPIREAT', KEYS[2], last[2])
    redis.call('PEXPIREAT', KEYS[3], last[2])
    return {1, id, ARGV[5]}
    """)

    /// release(reservation). KEYS: 1 reservations hash, 2 expiry zset. ARGV: 1 now ms, 2 id.
    /// Returns 1 if an active reservation was dropped, else 0.
    static let release = RedisScript("""
    local value = redis.call('HGET', KEYS[1], ARGV[2])
    redis.call('HDEL', KEYS[1], ARGV[2])
    redis.call('ZREM', KEYS[2], ARGV[2])
    if not value then return 0 end
    local expires = string.match(value, '|(%d+)$')
    if tonumber(expires) <= tonumber(ARGV[1]) then return 0 end
    return 1
    """)

    /// Reads a cycle's hash and the active reservations. KEYS: 1 cycle hash, 2 reservations hash,
    /// 3 expiry zset. ARGV: 1 now ms. Returns {flat HGETALL, reserved tokens, cost, count}.
    static let read = RedisScript(reservedFunction + """
    local all = redis.call('HGETALL', KEYS[1])
    local rt, rc, rn = active_reserved(KEYS[2], KEYS[3], tonumber(ARGV[1]))
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
