import AsyncRedis

/// The Lua scripts of ``SchemaMigration``. Each is one atomic, repeatable step (the migration runs on a
/// standalone Redis, so a step may touch a v1 and a v2 key of different slots).
enum MigrationScripts {
    /// Moves a v1 user reservation hash into the tenant's v2 hash, then deletes it.
    ///
    /// v1 `id → tokens|cost|expires` becomes `id → tokens|cost|expires|expires|user|` (the reservation time
    /// is unknown: the expiry stands for it). Entries that are not of that form are dropped and counted.
    /// KEYS: 1 v1 `q:{t/u}:r`, 2 v2 `q:{t}:r`. ARGV: 1 user. Returns {moved, malformed}.
    static let moveReservations = RedisScript("""
    local all = redis.call('HGETALL', KEYS[1])
    local moved, bad = 0, 0
    local args = {}
    for i = 1, #all, 2 do
      local t, c, e = string.match(all[i + 1], '^(%d+)|(%d+)|(%d+)$')
      if t then
        args[#args + 1] = all[i]
        args[#args + 1] = t .. '|' .. c .. '|' .. e .. '|' .. e .. '|' .. ARGV[1] .. '|'
        moved = moved + 1
        if #args >= 1000 then
          redis.call('HSET', KEYS[2], unpack(args))
          args = {}
        end
      else
        bad = bad + 1
      end
    end
    if #args > 0 then redis.call('HSET', KEYS[2], unpack(args)) end
    redis.call('DEL', KEYS[1])
    return {moved, bad}
    """)

    /// Adds one user cycle hash to its tenant cycle, once: every integer field (totals and per model) is
    /// added to `T:c`, the non-zero report fields become `u|<user>|<field>` rows of `T:r`, and the user is
    /// noted in `T:m` so that a second call for the same user (SCAN may return a key twice) changes nothing.
    /// `T:c`, `T:r` and `T:m` expire with the latest-expiring user hash (at the same millisecond on Redis 7+).
    ///
    /// KEYS: 1 `q:{t}:u:<u>:c:<cycle>`, 2 `q:{t}:T:c:<cycle>`, 3 `q:{t}:T:r:<cycle>`, 4 `q:{t}:T:m:<cycle>`.
    /// ARGV: 1 user. Returns 1 when added, 0 when the user was already added.
    static let addUserCycle = RedisScript("""
    if redis.call('HSETNX', KEYS[4], ARGV[1], '1') == 0 then return 0 end
    local report = {}
    for _, f in ipairs({'in', 'cin', 'cw', 'cw1', 'out', 'rsn', 'ain', 'aout', 'wsr', 'req', 'err', 'cost', 'unp', 'est'}) do
      report[f] = true
    end
    local all = redis.call('HGETALL', KEYS[1])
    local rows = {}
    for i = 1, #all, 2 do
      local f, v = all[i], all[i + 1]
      if string.match(v, '^%-?%d+$') then
        redis.call('HINCRBY', KEYS[2], f, v)
        if report[f] and v ~= '0' then
          rows[#rows + 1] = 'u|' .. ARGV[1] .. '|' .. f
          rows[#rows + 1] = v
        end
      end
    end
    if #rows > 0 then redis.call('HSET', KEYS[3], unpack(rows)) end
    -- Absolute expiry with PEXPIRETIME (Redis 7+, exact); older servers: relative, with PTTL.
    local absolute = true
    local function expiry(key)
      if absolute then
        local at = redis.pcall('PEXPIRETIME', key)
        if type(at) == 'number' then return at end
        absolute = false
      end
      return redis.call('PTTL', key)
    end
    local at = expiry(KEYS[1])
    if at > 0 then
      for k = 2, 4 do
        local current = expiry(KEYS[k])
        if current == -1 or (current > 0 and current < at) then
          if absolute then redis.call('PEXPIREAT', KEYS[k], at) else redis.call('PEXPIRE', KEYS[k], at) end
        end
      end
    end
    return 1
    """)

    /// Rebuilds a tenant's reservation expiry index (`rx`) and running totals (`rs`: `t c n`, and
    /// `u|<user>|t/c/n`, `g|<group>|t/c/n`) from its reservation hash, and makes the three keys expire with
    /// the last reservation. Repeatable: it derives everything from the hash.
    ///
    /// KEYS: 1 `q:{t}:r`, 2 `q:{t}:rx`, 3 `q:{t}:rs`. Returns the number of reservations.
    static let rebuildReservations = RedisScript("""
    local all = redis.call('HGETALL', KEYS[1])
    redis.call('DEL', KEYS[2], KEYS[3])
    local sums, names = {}, {}
    local function add(prefix, t, c)
      local s = sums[prefix]
      if not s then
        s = {0, 0, 0}
        sums[prefix] = s
        names[#names + 1] = prefix
      end
      s[1], s[2], s[3] = s[1] + t, s[2] + c, s[3] + 1
    end
    local last = 0
    local z = {}
    for i = 1, #all, 2 do
      local t, c, e, _, u, g = string.match(all[i + 1], '^(%d+)|(%d+)|(%d+)|(%d+)|([^|]*)|([^|]*)$')
      if t then
        t, c, e = tonumber(t), tonumber(c), tonumber(e)
        add('', t, c)
        if u ~= '' then add('u|' .. u .. '|', t, c) end
        if g ~= '' then add('g|' .. g .. '|', t, c) end
        z[#z + 1] = string.format('%d', e)
        z[#z + 1] = all[i]
        if #z >= 1000 then
          redis.call('ZADD', KEYS[2], unpack(z))
          z = {}
        end
        if e > last then last = e end
      end
    end
    if #z > 0 then redis.call('ZADD', KEYS[2], unpack(z)) end
    local h = {}
    for _, p in ipairs(names) do
      local s = sums[p]
      h[#h + 1] = p .. 't'
      h[#h + 1] = string.format('%d', s[1])
      h[#h + 1] = p .. 'c'
      h[#h + 1] = string.format('%d', s[2])
      h[#h + 1] = p .. 'n'
      h[#h + 1] = string.format('%d', s[3])
      if #h >= 996 then
        redis.call('HSET', KEYS[3], unpack(h))
        h = {}
      end
    end
    if #h > 0 then redis.call('HSET', KEYS[3], unpack(h)) end
    if last > 0 then
      for k = 1, 3 do redis.call('PEXPIREAT', KEYS[k], string.format('%d', last)) end
    end
    if sums[''] then return sums[''][3] end
    return 0
    """)
}
