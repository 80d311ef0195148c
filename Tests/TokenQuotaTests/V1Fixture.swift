import AsyncRedis
import TokenQuota

/// Schema v1 data written with raw commands: two tenants, three users, two cycles with per-model fields,
/// a user quota with transition fields, a tenant default, two active reservations (and one malformed
/// entry), a dedupe key, an audit stream, report indexes, and keys that are not quotad data.
struct V1Fixture {
    static let november = "2026-11-01"
    static let october = "2026-10-01"
    /// The fields of the report rows (`T:r`).
    static let reportFields: Set<String> = ["in", "cin", "cw", "cw1", "out", "rsn", "ain", "aout", "wsr", "req", "err", "cost", "unp", "est"]
    /// Keys the migration must leave alone.
    static let untouched = ["q:t:{acme}:keys", "q:key:abcdef", "q:settings:metrics"]

    /// Every key as written.
    var before: [String: KeyspaceDump.Value] = [:]
    /// v1 key → v2 key, for the keys moved as they are.
    var renames: [(String, String)] = []
    /// The user cycle hashes, by `tenant/user/cycle`.
    var cycles: [String: [String: Int]] = [:]
    /// The cycle hashes' EXPIREAT (Unix s), by cycle.
    var cycleExpiry: [String: Int] = [:]
    /// The reservations' expiry (Redis ms).
    var reservationExpiry = (alice: 0, bob: 0)

    /// Every key there should be after the migration.
    var expectedKeys: [String] {
        renames.map(\.1) + Self.untouched + [SchemaVersion.markerKey, "q:{acme}:r", "q:{acme}:rx", "q:{acme}:rs"]
            + [("acme", Self.november), ("acme", Self.october), ("beta", Self.november)].flatMap { tenant, cycle in
                ["q:{\(tenant)}:T:c:\(cycle)", "q:{\(tenant)}:T:r:\(cycle)"]
            }
    }

    /// Redis's time in milliseconds.
    static func redisMilliseconds(_ client: RedisClient) async throws -> Int {
        let time = try await client.send("TIME").array ?? []
        return (time.first?.int ?? 0) * 1000 + (time.last?.int ?? 0) / 1000
    }

    /// Writes the data; expiries are offsets from `base` (Redis's time ms when nil).
    static func write(_ client: RedisClient, base: Int? = nil) async throws -> V1Fixture {
        var now = base ?? 0
        if base == nil { now = try await redisMilliseconds(client) }
        var fixture = V1Fixture()
        fixture.cycleExpiry = [november: now / 1000 + 40 * 86_400, october: now / 1000 + 10 * 86_400]
        fixture.reservationExpiry = (now + 3_600_000, now + 1_800_000)
        let hashes: [(String, String, String, [String: Int])] = [
            ("acme", "alice", november, [
                "in": 1000, "cin": 200, "out": 500, "req": 3, "cost": 7500, "est": 1,
                "gpt-4o|in": 600, "gpt-4o|cin": 200, "gpt-4o|out": 300, "gpt-4o|req": 2, "gpt-4o|cost": 5000, "gpt-4o|est": 1,
                "claude-3|in": 400, "claude-3|out": 200, "claude-3|req": 1, "claude-3|cost": 2500,
            ]),
            ("acme", "bob", november, [
                "in": 50, "cin": 0, "out": 25, "req": 1, "err": 1, "cost": 300, "unp": 1,
                "gpt-4o|in": 50, "gpt-4o|out": 25, "gpt-4o|req": 1, "gpt-4o|err": 1, "gpt-4o|cost": 300, "gpt-4o|unp": 1,
            ]),
            ("acme", "alice", october, ["in": 10, "out": 5, "req": 1, "cost": 40, "gpt-4o|in": 10, "gpt-4o|out": 5, "gpt-4o|req": 1, "gpt-4o|cost": 40]),
            ("beta", "carol", november, [
                "in": 7, "out": 3, "wsr": 2, "req": 1, "cost": 11,
                "mistral|in": 7, "mistral|out": 3, "mistral|wsr": 2, "mistral|req": 1, "mistral|cost": 11,
            ]),
        ]
        for (tenant, user, cycle, fields) in hashes {
            let key = "q:{\(tenant)/\(user)}:c:\(cycle)"
            try await send(client, ["HSET", key] + fields.flatMap { [$0.key, String($0.value)] })
            try await send(client, ["EXPIREAT", key, String(fixture.cycleExpiry[cycle]!)])
            fixture.cycles["\(tenant)/\(user)/\(cycle)"] = fields
            fixture.renames.append((key, "q:{\(tenant)}:u:\(user):c:\(cycle)"))
        }

        try await send(client, [
            "HSET", "q:{acme/alice}:quota", "own", "1", "tokens", "100000", "cost", "5000000", "requests", "1000",
            "anchor", "15", "tz", "Europe/Paris", "tr_id", "plan-2", "tr_start", "1767225600000", "tr_end", "1769904000000",
        ])
        fixture.renames.append(("q:{acme/alice}:quota", "q:{acme}:u:alice:quota"))
        try await send(client, ["HSET", "q:t:{acme}:default", "tokens", "5000", "requests", "100"])
        fixture.renames.append(("q:t:{acme}:default", "q:{acme}:default"))
        try await send(client, ["SET", "q:{acme/alice}:e:call:42/a", "\(november)|5000"])
        try await send(client, ["PEXPIREAT", "q:{acme/alice}:e:call:42/a", String(now + 7 * 86_400_000)])
        fixture.renames.append(("q:{acme/alice}:e:call:42/a", "q:{acme}:u:alice:e:call:42/a"))
        try await send(client, [
            "XADD", "q:{acme/alice}:log", "1700000000000-0", "event", "call:42/a", "cycle", november, "model", "gpt-4o", "cost", "5000",
        ])
        try await send(client, ["EXPIREAT", "q:{acme/alice}:log", String(fixture.cycleExpiry[november]!)])
        fixture.renames.append(("q:{acme/alice}:log", "q:{acme}:u:alice:log"))

        for (user, id, tokens, cost, expires) in [
            ("alice", "res:alice:r1", 120, 900, fixture.reservationExpiry.alice), ("bob", "res:bob:r2", 80, 100, fixture.reservationExpiry.bob),
        ] {
            let prefix = "q:{acme/\(user)}:"
            try await send(client, ["HSET", prefix + "r", id, "\(tokens)|\(cost)|\(expires)"])
            try await send(client, ["ZADD", prefix + "rx", String(expires), id])
            try await send(client, ["HSET", prefix + "rs", "t", String(tokens), "c", String(cost), "n", "1"])
            for suffix in ["r", "rx", "rs"] { try await send(client, ["PEXPIREAT", prefix + suffix, String(expires)]) }
        }
        try await send(client, ["HSET", "q:{acme/bob}:r", "res:bob:bad", "not a reservation"])

        try await send(client, ["SADD", "q:t:{acme}:users:\(november)", "alice", "bob"])
        try await send(client, ["SADD", "q:t:{acme}:users:\(october)", "alice"])
        try await send(client, ["SADD", "q:t:{beta}:users:\(november)", "carol"])

        try await send(client, ["HSET", "q:t:{acme}:keys", "k1", #"{"name":"app"}"#])
        try await send(client, ["SET", "q:key:abcdef", "acme|k1"])
        try await send(client, ["SET", "q:settings:metrics", #"{"token_statistics":true}"#])
        fixture.before = try await KeyspaceDump.read(client)
        return fixture
    }

    private static func send(_ client: RedisClient, _ words: [String]) async throws {
        _ = try await client.send(RedisCommand(words[0], words.dropFirst().map { $0 as any RedisArgument }))
    }
}
