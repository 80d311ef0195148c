import AsyncRedis
import Foundation
import QuotaExport
import Testing
import TokenQuota

/// The exporter against a real redis-server and a real InfluxDB 1.x, both private to the test.
@Suite("InfluxDB export (redis-server + influxd)", .serialized, .disabled(if: influxMissing, "influxd not installed: apt-get install -y influxdb"))
struct ExporterIntegrationTests {
    /// Users with every character line protocol must escape, and a few it must not touch.
    static let users = ["alice", "bob smith", "carol,ops", "dave=admin", #"eve "quoted""#, "fränk-😀", "grace@example.com", "tab\there"]
    static let models = ["gpt-4o", "claude sonnet,4.5", "m=1"]

    static func events(tenants: [String], count: Int, seed: UInt64, startAt: Int = 1_700_000_000_000) -> [SyntheticEvent] {
        var generator = SplitMix64(seed: seed)
        var sequence: [String: Int] = [:]
        return (0..<count).map { index in
            let tenant = tenants[Int(generator.next() % UInt64(tenants.count))]
            sequence[tenant, default: 0] += 1
            // Many events share a millisecond, so only the sequence number keeps their timestamps apart.
            return SyntheticEvent(
                tenant: tenant, n: sequence[tenant]!, user: users[Int(generator.next() % UInt64(users.count))],
                model: models[Int(generator.next() % UInt64(models.count))], at: startAt + index / 7,
                input: Int(generator.next() % 5000), output: Int(generator.next() % 900), cost: Int(generator.next() % 1_000_000),
                extra: [("d:feature", index % 2 == 0 ? "chat search" : "batch,jobs")]
            )
        }
    }

    struct Totals: Equatable, CustomStringConvertible {
        var input = 0, output = 0, cost = 0, count = 0
        var description: String { "in=\(input) out=\(output) cost=\(cost) n=\(count)" }
    }

    static func expected(_ events: [SyntheticEvent]) -> [String: Totals] {
        var totals: [String: Totals] = [:]
        for event in events {
            let key = "\(event.tenant)|\(event.user)|\(event.model)"
            totals[key, default: Totals()].input += event.input
            totals[key, default: Totals()].output += event.output
            totals[key, default: Totals()].cost += event.cost
            totals[key, default: Totals()].count += 1
        }
        return totals
    }

    static func influxTotals(_ influx: InfluxDBServer, database: String = "quotad") async throws -> [String: Totals] {
        let rows = try await influx.rows(
            #"SELECT sum(input_tokens), sum(output_tokens), sum(cost_nano_usd), count(input_tokens) FROM llm_usage GROUP BY "tenant", "user", "model""#,
            database: database
        )
        var totals: [String: Totals] = [:]
        for row in rows {
            let key = "\(row["tenant"] as? String ?? "")|\(row["user"] as? String ?? "")|\(row["model"] as? String ?? "")"
            totals[key] = Totals(
                input: (row["sum"] as? NSNumber)?.intValue ?? -1, output: (row["sum_1"] as? NSNumber)?.intValue ?? -1,
                cost: (row["sum_2"] as? NSNumber)?.intValue ?? -1, count: (row["count"] as? NSNumber)?.intValue ?? -1
            )
        }
        return totals
    }

    /// Whether the group acknowledged everything and InfluxDB holds `points` points.
    static func done(_ client: RedisClient, _ influx: InfluxDBServer, tenants: [String], points: Int) async throws -> Bool {
        guard try await backlog(client, tenants: tenants) == 0 else { return false }
        let stored = try await influxTotals(influx).values.map(\.count).reduce(0, +)
        return stored == points
    }

    static func pending(_ client: RedisClient, tenants: [String]) async throws -> Int {
        var total = 0
        for tenant in tenants {
            do {
                let reply = try await client.send("XPENDING", QuotaKeys(tenant: tenant).events, "export")
                total += reply.array?.first?.int ?? 0
            } catch {
                // NOGROUP: the exporter has not found this tenant yet, so nothing is pending.
                guard error.message.contains("NOGROUP") else { throw error }
            }
        }
        return total
    }

    @Test("every event stored exactly once with its nasty tags, across an InfluxDB restart and a full re-send")
    func exactlyOnceAcrossRestart() async throws {
        try await withExportServers { client, influx in
            let tenants = ["acme", "globex corp", "ten,ant=1"]
            let events = Self.events(tenants: tenants, count: 3000, seed: 10)
            let expected = Self.expected(events)
            try await whileExporting(client, testExportConfiguration(influx)) {
                try await append(Array(events[..<1000]), to: client)
                try await eventually("some points are stored") { (try await Self.influxTotals(influx).values.map(\.count).reduce(0, +)) > 0 }
                influx.stop()
                try await append(Array(events[1000...]), to: client)
                // The exporter holds a batch it cannot write: pending, not acknowledged, not dropped.
                try await eventually("a batch waits for InfluxDB") { try await Self.pending(client, tenants: tenants) > 0 }
                try influx.start()
                try await eventually("the backlog is exported", seconds: 120) {
                    try await Self.done(client, influx, tenants: tenants, points: events.count)
                }
            }
            let stored = try await Self.influxTotals(influx)
            #expect(stored == expected)

            // Send everything again (as after a crash between write and acknowledgement): same points, no double count.
            for tenant in tenants { try await client.send("XGROUP", "SETID", QuotaKeys(tenant: tenant).events, "export", "0") }
            #expect(try await backlog(client, tenants: tenants) == events.count)
            try await whileExporting(client, testExportConfiguration(influx)) {
                try await eventually("the re-sent backlog is exported") { try await backlog(client, tenants: tenants) == 0 }
            }
            #expect(try await Self.influxTotals(influx) == expected)

            let features = try await influx.rows(#"SHOW TAG VALUES FROM llm_usage WITH KEY = "feature""#, database: "quotad")
            #expect(Set(features.compactMap { $0["value"] as? String }) == ["chat search", "batch,jobs"])
        }
    }

    @Test("a point InfluxDB refuses is logged, counted and acknowledged; the stream goes on")
    func poisonPoint() async throws {
        try await withExportServers(createStatement: "CREATE DATABASE quotad WITH DURATION 1h") { client, influx in
            let now = Int(Date().timeIntervalSince1970 * 1000)
            var events = Self.events(tenants: ["acme"], count: 60, seed: 3, startAt: now)
            events[20].at = 1000  // 1970: outside the retention policy, InfluxDB answers 400 partial write
            try await whileExporting(client, testExportConfiguration(influx)) {
                try await append(Array(events[..<40]), to: client)
                try await eventually("the first events are exported") { try await backlog(client, tenants: ["acme"]) == 0 }
                try await append(Array(events[40...]), to: client)
                try await eventually("the later events are exported") {
                    try await Self.done(client, influx, tenants: ["acme"], points: 59)
                }
            }
            var expected = Self.expected(events.enumerated().filter { $0.offset != 20 }.map(\.element))
            expected = expected.filter { $0.value.count > 0 }
            #expect(try await Self.influxTotals(influx) == expected)
        }
    }

    @Test("entries left pending by this consumer's previous run are re-sent; those of a dead consumer are claimed")
    func pendingAndClaimed() async throws {
        try await withExportServers { client, influx in
            let events = Self.events(tenants: ["acme"], count: 30, seed: 5)
            let streams = ExportStreams(client: client, consumer: "test-1")
            try await streams.ensureGroup(tenant: "acme")
            try await append(events, to: client)
            // Read, never acknowledged: by this consumer before a crash, and by an instance that is gone.
            #expect(try await streams.readNew(tenant: "acme", count: 10).events.count == 10)
            #expect(try await ExportStreams(client: client, consumer: "dead").readNew(tenant: "acme", count: 10).events.count == 10)
            var configuration = testExportConfiguration(influx, consumer: "test-1")
            configuration.claimIdle = .milliseconds(300)
            try await whileExporting(client, configuration) {
                try await eventually("every entry is exported") {
                    try await Self.done(client, influx, tenants: ["acme"], points: 30)
                }
            }
            #expect(try await Self.influxTotals(influx) == Self.expected(events))
        }
    }

    @Test("graceful shutdown writes and acknowledges what was read, without waiting for the flush interval")
    func shutdownFlushes() async throws {
        try await withExportServers { client, influx in
            let events = Self.events(tenants: ["acme"], count: 25, seed: 8)
            var configuration = testExportConfiguration(influx)
            configuration.batchSize = 1000
            configuration.flushInterval = .seconds(60)
            try await whileExporting(client, configuration) {
                try await append(events, to: client)
                try await eventually("the events are read, waiting for more") { try await Self.pending(client, tenants: ["acme"]) == 25 }
                #expect(try await Self.influxTotals(influx).isEmpty)
            }
            #expect(try await backlog(client, tenants: ["acme"]) == 0)
            #expect(try await Self.influxTotals(influx) == Self.expected(events))
        }
    }
}
