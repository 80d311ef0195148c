import ArgumentParser
import AsyncRedis
import EmbeddedRedis
import Foundation
import Logging
import TokenQuota

/// The quota engine's hot path, reserve + commit, through ``RedisQuotaRepository`` and our client, against
/// `redis-benchmark` replaying the very commands the repository sends (same scripts by SHA, same keys and
/// arguments, ids and users drawn by `__rand_int__` within one tenant) at the same concurrency.
struct EngineBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Reserve + commit through RedisQuotaRepository vs redis-benchmark running the identical scripts; target ratio >= 0.8."
    )

    @Option(help: "Redis to measure against; a private redis-server on a free port is started when omitted.")
    var redisURL: String?

    @Option(help: "Concurrent tasks running reserve + commit (and redis-benchmark connections).")
    var concurrency = 64

    @Option(help: "Connections in our client's pool.")
    var poolSize = 1

    @Option(help: "Reserve + commit pairs per measurement (redis-benchmark runs each script this many times).")
    var requests = 100_000

    @Option(help: "Pipeline depth given to redis-benchmark (-P).")
    var pipeline = 16

    @Option(help: "Distinct users of the tenant (redis-benchmark -r).")
    var users = 1000

    @Option(help: "The tenant whose keys the run writes (its hash tag); it must hold no data.")
    var tenant = "t1"

    @Option(help: "Longest time one measurement may take, in seconds.")
    var maxSeconds = 120.0

    /// Stands for the user number in the captured commands, replaced by `__rand_int__` for redis-benchmark.
    static let userMarker = "777777777777"
    /// Stands for each part of the reservation id.
    static let idMarker = "888888888888"

    func run() async throws {
        guard users >= 10, concurrency >= 1, requests >= concurrency else {
            throw ValidationError("need --users >= 10 and --requests >= --concurrency >= 1")
        }
        guard let redisCLI = RedisServer.findInPath("redis-cli") else { throw ValidationError("redis-cli not found: apt-get install -y redis-tools") }
        let target = try BenchTarget(redisURL: redisURL)
        defer { target.close() }
        let client = try await target.connect(poolSize: poolSize)
        let pattern = "q:{\(tenant)}:*"
        guard try await !client.hasKeys(matching: pattern) else {
            throw ValidationError("tenant '\(tenant)' already has keys (\(pattern)); pick another --tenant")
        }
        let runner = LoadRunner(concurrency: concurrency, requests: requests, pipeline: pipeline, maxSeconds: maxSeconds)
        // The cap on active reservations per user must not bind for redis-benchmark, which commits none of its own.
        let settings = RepositorySettings(maximumActiveReservationsPerUser: max(RepositorySettings().maximumActiveReservationsPerUser, requests))
        let repository = RedisQuotaRepository(client: client, settings: settings, logger: Logger(label: "quota-bench"))
        // Cycle and per-minute limits at the user (default) and tenant levels that never bind: every check
        // and window runs, nothing is refused.
        let limits = QuotaConfig(
            limits: QuotaLimits(tokens: 1_000_000_000_000_000, costNanoUSD: 9_000_000_000_000_000, requests: 1_000_000_000_000_000),
            rate: RateLimits(tokensPerMinute: 1_000_000_000_000_000, requestsPerMinute: 1_000_000_000_000_000)
        )
        try await repository.setDefaultQuota(tenant: tenant, limits, now: Date())
        try await repository.setQuota(tenant: tenant, subject: .tenant, limits, now: Date())
        print("server \(target.host):\(target.port), tenant {\(tenant)}, \(users) users, \(requests) pairs per run, concurrency \(concurrency), pool \(poolSize), redis-benchmark -P \(pipeline)")

        // The commands one reserve + commit sends, captured from the server (after a pair that loads the scripts).
        let tenant = self.tenant
        try await Self.pair(repository, tenant: tenant, user: "user-000000000000", idParts: ["0", "0", "0"])
        let captured = try await MonitorCapture.commands(
            redisCLI: redisCLI, host: target.host, port: target.port,
            during: { try await Self.pair(repository, tenant: tenant, user: "user-" + Self.userMarker, idParts: Array(repeating: Self.idMarker, count: 3)) },
            mark: { _ = try await client.send("ECHO", $0) }
        ).filter { $0.first?.uppercased() == "EVALSHA" && $0.contains { $0.contains(Self.idMarker) } }
        guard captured.count == 2, captured[0][1] != captured[1][1] else {
            throw ValidationError("expected one reserve and one record EVALSHA, captured \(captured.count): \(captured.map { $0.prefix(3) })")
        }
        let (reserve, record) = (captured[0], captured[1])
        let cached = try await client.send("SCRIPT", "EXISTS", reserve[1], record[1]).array?.compactMap(\.int) ?? []
        guard cached == [1, 1] else { throw ValidationError("the repository's scripts are not in Redis's script cache") }
        print("reserve script \(reserve[1]) (\(reserve[2]) keys, \(reserve.count - 3 - (Int(reserve[2]) ?? 0)) args), record script \(record[1]) (\(record[2]) keys, \(record.count - 3 - (Int(record[2]) ?? 0)) args): both cached")

        // 1. Ours: reserve, then commit it (record with the reservation id), through the repository.
        let before = try await repository.usage(tenant: tenant, subject: .tenant, cycleID: nil, now: Date())
        let users = self.users
        let ours = try await runner.measure(warmup: 100) { random in
            var generator = SystemRandomNumberGenerator()
            let parts = (0..<3).map { _ in zeroPadded(Int(generator.next() % 1_000_000_000_000), width: 12) }
            try await Self.pair(repository, tenant: tenant, user: "user-" + zeroPadded(random % users, width: 12), idParts: parts)
        }
        let after = try await repository.usage(tenant: tenant, subject: .tenant, cycleID: nil, now: Date())
        let committed = after.totals.requests - before.totals.requests
        guard committed == ours.operations + 100, after.reserved.requests == 0 else {
            throw ValidationError("ours: \(committed) requests recorded for \(ours.operations + 100) pairs, \(after.reserved.requests) reservations left")
        }
        print(String(format: "ours            %9.0f pairs/s", ours.rate)
            + " (\(ours.operations) pairs\(ours.stoppedEarly ? ", stopped by the time limit" : ""))"
            + String(format: ", client CPU %.1f µs per pair; every reservation committed, none left", ours.cpuMicroseconds))

        // 2. redis-benchmark: the same two commands, ids and users from __rand_int__ (-r users).
        func replay(_ command: [String]) -> [String] {
            command.map { $0.replacingOccurrences(of: Self.userMarker, with: "__rand_int__").replacingOccurrences(of: Self.idMarker, with: "__rand_int__") }
        }
        for (name, command) in [("reserve", replay(reserve)), ("record ", replay(record))] {
            let line = command.joined(separator: " ")
            print("  \(name): \(line.prefix(240))\(line.count > 240 ? " … (\(command.count) arguments)" : "")")
        }
        let reserveRate = try runner.referenceRate(target, keyspace: users, command: replay(reserve))
        let held = try await repository.usage(tenant: tenant, subject: .tenant, cycleID: nil, now: Date())
        let recordRate = try runner.referenceRate(target, keyspace: users, command: replay(record))
        let recorded = try await repository.usage(tenant: tenant, subject: .tenant, cycleID: nil, now: Date())
        let reference = 1 / (1 / reserveRate + 1 / recordRate)
        print(String(
            format: "redis-benchmark reserve %9.0f ops/s (%d of %d granted), record %9.0f ops/s (%d of %d recorded) => %9.0f pairs/s",
            reserveRate, held.reserved.requests, requests, recordRate, recorded.totals.requests - held.totals.requests, requests, reference
        ))
        guard Double(held.reserved.requests) >= 0.99 * Double(requests), Double(recorded.totals.requests - held.totals.requests) >= 0.99 * Double(requests) else {
            throw ValidationError("redis-benchmark's calls did not do the work (refused or duplicates): its rate would not be comparable")
        }

        if target.server == nil {
            _ = try await client.unlinkKeys(matching: pattern)
        }
        await client.shutdown()
        print(String(format: "ratio %.2f", ours.rate / reference))
    }

    /// One reserve (1,500 tokens, $0.006, 10 min) and its commit (1,000 in / 400 cached / 200 out / 50 reasoning,
    /// $0.004), as `POST …/reservations` and `POST …/reservations/{id}/commit` do it.
    static func pair(_ repository: RedisQuotaRepository, tenant: String, user: String, idParts: [String]) async throws {
        let outcome = try await repository.reserve(
            ReservationRequest(tenant: tenant, user: user, tokens: 1500, costNanoUSD: 6_000_000, ttlSeconds: 600, reservationID: idParts.joined(separator: "-")),
            now: Date()
        )
        guard case .reserved(let reservation) = outcome else { throw ValidationError("reservation refused: \(outcome)") }
        let result = try await repository.record(UsageEvent(
            tenant: tenant, user: user, eventID: reservation.id, model: "gpt-4o",
            usage: TokenUsage(inputTokens: 1000, cachedInputTokens: 400, outputTokens: 200, reasoningTokens: 50),
            costNanoUSD: 4_000_000, priced: true, reservationID: reservation.id
        ), options: RecordOptions())
        guard result.recorded else { throw ValidationError("commit of \(reservation.id) was taken for a duplicate") }
    }
}
