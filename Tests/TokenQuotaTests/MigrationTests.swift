import AsyncRedis
import EmbeddedRedis
import Logging
import Testing
@testable import TokenQuota

/// `quotad migrate`: schema v1 data converted in place to schema v2 (see the v2 schema), repeatable and
/// resumable; and the schema check quotad runs at start.
@Suite struct MigrationTests {
    @Test func migratesEveryV1KeyToItsV2Key() async throws {
        try await withMigrationRedis { client in
            let fixture = try await V1Fixture.write(client)
            let report = try await SchemaMigration.run(client: client, logger: Logger(label: "test.migration"))
            #expect(report.completed)
            #expect(report.status == .needsMigration(from: 1))
            #expect(report.users == 3 && report.cycles == 4 && report.reservations == 2 && report.quotas == 1)
            #expect(report.tenantDefaults == 1 && report.dedupeKeys == 1 && report.logs == 1)
            // v1 rx ×2, rs ×2, users sets ×3, one malformed reservation entry.
            #expect(report.keysDropped == 8)
            #expect(report.tenantCycles == 3 && report.reservationTenants == 1)

            let dump = try await KeyspaceDump.read(client)
            // Renamed keys: same content, same expiry.
            for (v1, v2) in fixture.renames {
                #expect(dump[v1] == nil, "\(v1) is left")
                #expect(dump[v2] == fixture.before[v1], "\(v2)")
            }
            // Tenant totals are the sums of the users' hashes (totals and per model), report rows their
            // non-zero totals; both expire with the latest user hash.
            for (tenant, cycle, users) in [("acme", V1Fixture.november, ["alice", "bob"]), ("acme", V1Fixture.october, ["alice"]),
                                           ("beta", V1Fixture.november, ["carol"])] {
                var totals: [String: Int] = [:]
                var rows: [String: Int] = [:]
                for user in users {
                    for (field, value) in fixture.cycles["\(tenant)/\(user)/\(cycle)"]! {
                        totals[field, default: 0] += value
                        if V1Fixture.reportFields.contains(field), value != 0 { rows["u|\(user)|\(field)"] = value }
                    }
                }
                let expiry = fixture.cycleExpiry[cycle]! * 1000
                #expect(dump["q:{\(tenant)}:T:c:\(cycle)"] == .hash(totals.mapValues(String.init), expiry: expiry))
                #expect(dump["q:{\(tenant)}:T:r:\(cycle)"] == .hash(rows.mapValues(String.init), expiry: expiry))
                #expect(dump["q:{\(tenant)}:T:m:\(cycle)"] == nil)
            }
            #expect(rows(dump, "q:{acme}:T:r:\(V1Fixture.november)")["u|bob|cin"] == nil, "zero fields are not report rows")
            // Reservations: one tenant hash in the v2 form, its expiry index and totals rebuilt.
            let (first, second) = (fixture.reservationExpiry.alice, fixture.reservationExpiry.bob)
            #expect(dump["q:{acme}:r"] == .hash([
                "res:alice:r1": "120|900|\(first)|\(first)|alice|", "res:bob:r2": "80|100|\(second)|\(second)|bob|",
            ], expiry: first))
            #expect(dump["q:{acme}:rx"] == .zset(["res:bob:r2 \(second)", "res:alice:r1 \(first)"], expiry: first))
            #expect(dump["q:{acme}:rs"] == .hash([
                "t": "200", "c": "1000", "n": "2", "u|alice|t": "120", "u|alice|c": "900", "u|alice|n": "1",
                "u|bob|t": "80", "u|bob|c": "100", "u|bob|n": "1",
            ], expiry: first))
            #expect(dump["q:{beta}:r"] == nil && dump["q:{beta}:rs"] == nil)
            // Not quotad data: untouched.
            for key in V1Fixture.untouched { #expect(dump[key] == fixture.before[key], "\(key)") }
            #expect(dump[SchemaVersion.markerKey] == .string("2", expiry: -1))
            #expect(dump[SchemaVersion.migratingKey] == nil)
            #expect(Set(dump.keys) == Set(fixture.expectedKeys))
            #expect(try await SchemaVersion.check(client: client) == .current)
        }
    }

    @Test func runningAgainChangesNothing() async throws {
        try await withMigrationRedis { client in
            _ = try await V1Fixture.write(client)
            let migration = SchemaMigration(client: client, logger: Logger(label: "test.migration"))
            _ = try await migration.run()
            let first = try await KeyspaceDump.read(client)
            let again = try await migration.run()
            #expect(again.status == .current && again.completed)
            #expect(try await KeyspaceDump.read(client) == first)
            // Every step again, as after a crash just before the marker was written.
            try await client.send("DEL", SchemaVersion.markerKey)
            try await client.send("SET", SchemaVersion.migratingKey, "1")
            let rerun = try await migration.run()
            #expect(rerun.completed && rerun.status == .needsMigration(from: 1))
            #expect(rerun.cycles == 0 && rerun.reservations == 0 && rerun.tenantCycles == 3)
            #expect(try await KeyspaceDump.read(client) == first)
        }
    }

    /// A migration stopped after any number of key steps (as a crash would stop it) still reads as
    /// needing migration, and the next full run ends exactly where a clean run does.
    @Test func resumesAfterAStopAtAnyStep() async throws {
        try await withMigrationRedis { client in
            let base = try await V1Fixture.redisMilliseconds(client)
            // Small SCAN pages, so that stops also fall between pages.
            let migration = SchemaMigration(client: client, logger: Logger(label: "test.migration"), scanCount: 3, concurrency: 2)
            _ = try await V1Fixture.write(client, base: base)
            _ = try await migration.run()
            let reference = try await KeyspaceDump.read(client)
            var limit = 0
            var stops = 0
            while limit < 200 {
                try await client.send("FLUSHALL")
                _ = try await V1Fixture.write(client, base: base)
                let partial = try await migration.run(dryRun: false, limit: limit)
                if partial.completed { break }
                stops += 1
                #expect(try await SchemaVersion.check(client: client, writingMarkerWhenFresh: false) == .needsMigration(from: 1), "stopped after \(limit)")
                _ = try await migration.run()
                let dump = try await KeyspaceDump.read(client)
                let differing = Set(dump.keys).union(reference.keys).filter { dump[$0] != reference[$0] }
                #expect(differing.isEmpty, "stopped after \(limit) steps: \(differing.map { "\($0): \(dump[$0]?.description ?? "-") vs \(reference[$0]?.description ?? "-")" })")
                limit += 1
            }
            // Stops in every phase: v1 keys, tenant cycles, reservations.
            #expect(stops >= 20 && limit < 200, "\(stops) stops")
        }
    }

    @Test func dryRunCountsWithoutWriting() async throws {
        try await withMigrationRedis { client in
            _ = try await V1Fixture.write(client)
            let before = try await KeyspaceDump.read(client)
            let plan = try await SchemaMigration.run(client: client, logger: Logger(label: "test.migration"), dryRun: true)
            #expect(try await KeyspaceDump.read(client) == before)
            #expect(!plan.completed && plan.dryRun)
            let report = try await SchemaMigration.run(client: client, logger: Logger(label: "test.migration"))
            // The plan counts a malformed reservation entry as a reservation (it reads HLEN only).
            #expect(plan.users == report.users && plan.cycles == report.cycles && plan.reservations == report.reservations + 1)
            #expect(plan.quotas == report.quotas && plan.tenantDefaults == report.tenantDefaults && plan.logs == report.logs)
            #expect(plan.dedupeKeys == report.dedupeKeys && plan.keysDropped == report.keysDropped - 1 && plan.tenantCycles == report.tenantCycles)
            #expect(plan.summary.hasPrefix("would migrate schema v1 → v2: 3 users, 4 cycles"))
        }
    }

    @Test func checkTellsFreshV1CurrentAndNewer() async throws {
        try await withMigrationRedis { client in
            // Only keys that are not quotad data: fresh, and the marker is written.
            try await client.send("HSET", "q:t:{acme}:keys", "k1", "{}")
            try await client.send("SET", "q:settings:metrics", "{}")
            #expect(try await SchemaVersion.check(client: client, writingMarkerWhenFresh: false) == .fresh)
            #expect(try await client.get(SchemaVersion.markerKey) == nil)
            #expect(try await SchemaVersion.check(client: client) == .fresh)
            #expect(try await client.get(SchemaVersion.markerKey) == Array("2".utf8))
            #expect(try await SchemaVersion.requireServable(client: client) == .current)

            // Each v1 pattern alone is v1 data; so is an unfinished migration.
            for key in ["q:t:{acme}:users:2026-11-01", "q:t:{acme}:default", "q:{acme/alice}:quota", SchemaVersion.migratingKey] {
                try await client.send("FLUSHALL")
                try await client.send("SET", key, "x")
                #expect(try await SchemaVersion.check(client: client) == .needsMigration(from: 1), "\(key)")
                #expect(try await client.get(SchemaVersion.markerKey) == nil)
                let error = await #expect(throws: SchemaError.self) { try await SchemaVersion.requireServable(client: client) }
                #expect(error?.code == .needsMigration)
                #expect(error?.message.contains("run `quotad migrate`") == true)
            }

            // A newer marker: refused by the check and by the migration, which changes nothing.
            try await client.send("FLUSHALL")
            try await client.send("SET", SchemaVersion.markerKey, "3")
            try await client.send("SET", "q:{acme/alice}:quota", "x")
            #expect(try await SchemaVersion.check(client: client) == .newer(3))
            let newer = await #expect(throws: SchemaError.self) { try await SchemaVersion.requireServable(client: client) }
            #expect(newer?.code == .newerSchema && newer?.message.contains("v3") == true)
            let refused = await #expect(throws: SchemaError.self) {
                try await SchemaMigration.run(client: client, logger: Logger(label: "test.migration"))
            }
            #expect(refused?.code == .newerSchema)
            #expect(try await client.get("q:{acme/alice}:quota") == Array("x".utf8))

            try await client.send("SET", SchemaVersion.markerKey, "two")
            let unreadable = await #expect(throws: SchemaError.self) { try await SchemaVersion.check(client: client) }
            #expect(unreadable?.code == .unreadableMarker)
        }
    }

    /// Many users over small SCAN pages: every key found once, totals exact.
    @Test func manyUsersOverSmallPages() async throws {
        try await withMigrationRedis { client in
            var expected: [String: Int] = [:]
            for index in 0..<300 {
                let fields = ["in": index + 1, "out": 2 * index, "req": 1, "gpt-4o|in": index + 1]
                for (field, value) in fields { expected[field, default: 0] += value }
                _ = try await client.send(RedisCommand("HSET", ["q:{big/u\(index)}:c:2026-11-01"]
                    + fields.flatMap { [$0.key, String($0.value)] as [any RedisArgument] }))
            }
            let migration = SchemaMigration(client: client, logger: Logger(label: "test.migration"), scanCount: 10, concurrency: 8)
            let report = try await migration.run()
            #expect(report.users == 300 && report.cycles == 300 && report.tenantCycles == 1)
            let totals = try await client.hashGetAll("q:{big}:T:c:2026-11-01").mapValues { Int(String(decoding: $0, as: UTF8.self)) }
            #expect(totals == expected.mapValues { Optional($0) })
            #expect(try await client.hashGetAll("q:{big}:T:r:2026-11-01").count == 300 * 3 - 1)  // u0 has out 0
        }
    }
}

/// The report rows of a hash in a dump.
private func rows(_ dump: [String: KeyspaceDump.Value], _ key: String) -> [String: String] {
    if case .hash(let fields, _) = dump[key] { return fields }
    return [:]
}

/// Runs `body` with a client of a private Redis.
func withMigrationRedis<T>(_ body: (RedisClient) async throws -> T) async throws -> T {
    try await withRedisServer { server in
        var configuration = try RedisConfiguration(url: server.url)
        configuration.poolSize = 4
        configuration.commandTimeout = .seconds(5)
        let client = RedisClient(configuration: configuration, logger: Logger(label: "test.redis"))
        do {
            try await client.waitUntilConnected(timeout: .seconds(5))
            let result = try await body(client)
            await client.shutdown()
            return result
        } catch {
            await client.shutdown()
            throw error
        }
    }
}
