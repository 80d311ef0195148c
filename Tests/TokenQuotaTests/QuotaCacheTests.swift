import AsyncRedis
import Foundation
import Logging
import Testing
import TokenQuota

/// The in-process quota cache: writes use it without reading the quotas, and a quota another instance
/// changed is never used stale (every write script checks the tenant's quota epoch `q:{t}:qe`).
@Suite struct QuotaCacheTests {
    /// A second instance over the same Redis, caching the quotas for a minute.
    static func cachingInstance(_ client: RedisClient) -> RedisQuotaRepository {
        RedisQuotaRepository(client: client, settings: RepositorySettings(quotaCacheMilliseconds: 60_000), logger: Logger(label: "test.cached"))
    }

    static func epoch(_ client: RedisClient) async throws -> Int {
        Int(try await client.send("GET", "q:{acme}:qe").text ?? "0") ?? -1
    }

    @Test func everyQuotaChangeMovesTheEpochForward() async throws {
        try await withRepository { repository, client in
            var seen = [try await Self.epoch(client)]
            #expect(seen == [0])
            let limits = QuotaConfig(limits: QuotaLimits(tokens: 1000))
            try await repository.setQuota(tenant: "acme", subject: .user("u"), QuotaConfig(group: "g"), now: Date())
            seen.append(try await Self.epoch(client))
            try await repository.setQuota(tenant: "acme", subject: .group("g"), limits, now: Date())
            seen.append(try await Self.epoch(client))
            try await repository.setQuota(tenant: "acme", subject: .tenant, limits, now: Date())
            seen.append(try await Self.epoch(client))
            try await repository.setDefaultQuota(tenant: "acme", limits, now: Date())
            seen.append(try await Self.epoch(client))
            try await repository.setQuota(tenant: "acme", user: "u", nil, now: Date())
            seen.append(try await Self.epoch(client))
            try await repository.setQuota(tenant: "acme", subject: .group("g"), nil, now: Date())
            seen.append(try await Self.epoch(client))
            #expect(zip(seen, seen.dropFirst()).allSatisfy { $0 < $1 }, "\(seen)")
        }
    }

    @Test func writesUseTheCacheWithoutReadingTheQuotas() async throws {
        try await withRepository { repository, client in
            let cached = Self.cachingInstance(client)
            try await repository.setQuota(tenant: "acme", subject: .user("u"), QuotaConfig(group: "g"), now: Date())
            _ = try await cached.record(LevelsTests.event("u", "e0", input: 1, output: 0), options: RecordOptions())
            _ = try await client.send("CONFIG", "RESETSTAT")
            for index in 1...10 {
                _ = try await cached.record(LevelsTests.event("u", "e\(index)", input: 1, output: 0), options: RecordOptions())
                let outcome = try await cached.reserve(LevelsTests.request("u", 5), now: Date())
                guard case .reserved(let reservation) = outcome else {
                    Issue.record("refused: \(outcome)")
                    return
                }
                #expect(try await cached.release(tenant: "acme", user: "u", reservationID: reservation.id))
            }
            // Loading the quotas runs the context script (and reads the group's quota after it): only the
            // three write scripts of each round ran, no fourth.
            let stats = try await client.send("INFO", "commandstats").text ?? ""
            #expect(stats.contains("cmdstat_evalsha:calls=30,"), "\(stats)")
            let group = try await repository.usage(tenant: "acme", subject: .group("g"), cycleID: nil, now: Date())
            #expect(group.totals.tokens == 11)
        }
    }

    @Test func aLimitChangedElsewhereShowsInTheNextWrite() async throws {
        try await withRepository { repository, client in
            let cached = Self.cachingInstance(client)
            try await repository.setDefaultQuota(tenant: "acme", QuotaConfig(limits: QuotaLimits(tokens: 1000)), now: Date())
            let first = try await cached.record(LevelsTests.event("u", "e1", input: 1, output: 0), options: RecordOptions())
            #expect(first.limits.tokens == 1000)
            try await repository.setDefaultQuota(tenant: "acme", QuotaConfig(limits: QuotaLimits(tokens: 500)), now: Date())
            let second = try await cached.record(LevelsTests.event("u", "e2", input: 1, output: 0), options: RecordOptions())
            #expect(second.limits.tokens == 500)
        }
    }

    /// The release script refuses a stale epoch without dropping anything; the instance reloads and the
    /// reservation is released once.
    @Test func releaseAfterAQuotaChangedElsewhere() async throws {
        try await withRepository { repository, client in
            let cached = Self.cachingInstance(client)
            try await repository.setQuota(tenant: "acme", subject: .user("u"), QuotaConfig(group: "old"), now: Date())
            guard case .reserved(let reservation) = try await cached.reserve(LevelsTests.request("u", 5), now: Date()) else {
                Issue.record("refused")
                return
            }
            try await repository.setQuota(tenant: "acme", subject: .group("old"), QuotaConfig(limits: QuotaLimits(tokens: 100)), now: Date())
            #expect(try await cached.release(tenant: "acme", user: "u", reservationID: reservation.id))
            #expect(try await cached.release(tenant: "acme", user: "u", reservationID: reservation.id) == false)
            let group = try await repository.usage(tenant: "acme", subject: .group("old"), cycleID: nil, now: Date())
            #expect(group.reserved.tokens == 0)
        }
    }
}
