import AsyncRedis
import Foundation
import Logging
import Testing
import TokenAccounting
import TokenQuota

/// Tenant, group and user limits in one atomic step: the strictest wins, and every level counts.
@Suite struct LevelsTests {
    static func request(_ user: String, _ tokens: Int, cost: Int = 0) -> ReservationRequest {
        ReservationRequest(tenant: "acme", user: user, tokens: tokens, costNanoUSD: cost, ttlSeconds: 60)
    }

    static func event(_ user: String, _ id: String, input: Int, output: Int, reservation: String? = nil) -> UsageEvent {
        UsageEvent(
            tenant: "acme", user: user, eventID: id, model: "gpt-4o", usage: TokenUsage(inputTokens: input, outputTokens: output),
            costNanoUSD: 10 * (input + output), reservationID: reservation
        )
    }

    static func rejection(_ outcome: ReserveOutcome) -> QuotaRejection? {
        if case .rejected(let rejection) = outcome { return rejection }
        return nil
    }

    @Test func tenantLimitBindsAcrossUsers() async throws {
        try await withRepository { repository, _ in
            try await repository.setQuota(tenant: "acme", subject: .tenant, QuotaConfig(limits: QuotaLimits(tokens: 1000)), now: Date())
            let first = try await repository.reserve(Self.request("a", 600), now: Date())
            #expect(Self.rejection(first) == nil)
            let second = try #require(Self.rejection(try await repository.reserve(Self.request("b", 600), now: Date())))
            #expect(second.level == .tenant)
            #expect(second.limit == .tokens)
            #expect(second.limitValue == 1000)
            #expect(second.reserved == 600)
            #expect(second.requested == 600)
            // The reservation's expiry (60 s) frees room before the cycle ends.
            #expect((1...61).contains(second.retryAfterSeconds ?? 0))
            #expect(Self.rejection(try await repository.reserve(Self.request("b", 400), now: Date())) == nil)
        }
    }

    @Test func groupLimitBindsItsMembersOnly() async throws {
        try await withRepository { repository, _ in
            try await repository.setQuota(tenant: "acme", subject: .group("team"), QuotaConfig(limits: QuotaLimits(tokens: 500)), now: Date())
            for user in ["a", "b"] {
                try await repository.setQuota(tenant: "acme", subject: .user(user), QuotaConfig(group: "team"), now: Date())
            }
            #expect(Self.rejection(try await repository.reserve(Self.request("a", 300), now: Date())) == nil)
            let refused = try #require(Self.rejection(try await repository.reserve(Self.request("b", 300), now: Date())))
            #expect(refused.level == .group)
            #expect(Self.rejection(try await repository.reserve(Self.request("c", 300), now: Date())) == nil)
            let usage = try await repository.usage(tenant: "acme", subject: .group("team"), cycleID: nil, now: Date())
            #expect(usage.reserved.tokens == 300)
            #expect(usage.reserved.requests == 1)
        }
    }

    @Test func strictestLimitWinsAndNamesItsLevel() async throws {
        try await withRepository { repository, _ in
            try await repository.setQuota(tenant: "acme", subject: .tenant, QuotaConfig(limits: QuotaLimits(tokens: 1000)), now: Date())
            try await repository.setQuota(tenant: "acme", subject: .user("u"), QuotaConfig(limits: QuotaLimits(tokens: 100)), now: Date())
            _ = try await repository.record(Self.event("u", "used", input: 50, output: 0), options: RecordOptions())
            let refused = try #require(Self.rejection(try await repository.reserve(Self.request("u", 80), now: Date())))
            #expect(refused.level == .user)
            #expect(refused.limit == .tokens)
            #expect(refused.used == 50)
            // 50 used + 80 > 100 with nothing reserved: it fits again when the user's cycle resets.
            let cycle = CycleSchedule().cycle(containing: Date())
            #expect(refused.resetsAt == cycle.end)
            #expect(abs((refused.retryAfterSeconds ?? 0) - Int(cycle.end.timeIntervalSinceNow)) <= 2)
            // A request larger than the limit itself can never fit: no retry time.
            let tooBig = try #require(Self.rejection(try await repository.reserve(Self.request("v", 5000), now: Date())))
            #expect(tooBig.level == .tenant)
            #expect(tooBig.retryAfterSeconds == nil)
        }
    }

    @Test func recordCountsAtEveryLevelAndFlagsOverLimit() async throws {
        try await withRepository { repository, _ in
            try await repository.setQuota(tenant: "acme", subject: .group("team"), QuotaConfig(limits: QuotaLimits(tokens: 100)), now: Date())
            try await repository.setQuota(tenant: "acme", subject: .user("a"), QuotaConfig(group: "team"), now: Date())
            let first = try await repository.record(Self.event("a", "e1", input: 60, output: 20), options: RecordOptions())
            #expect(first.overLimit.isEmpty)
            let second = try await repository.record(Self.event("a", "e2", input: 30, output: 20), options: RecordOptions())
            #expect(second.recorded)
            #expect(second.overLimit == [.group])
            let duplicate = try await repository.record(Self.event("a", "e2", input: 30, output: 20), options: RecordOptions())
            #expect(!duplicate.recorded)
            #expect(duplicate.overLimit.isEmpty)
            _ = try await repository.record(Self.event("b", "e3", input: 5, output: 5), options: RecordOptions())
            let group = try await repository.usage(tenant: "acme", subject: .group("team"), cycleID: nil, now: Date())
            #expect(group.totals.tokens == 130)
            #expect(group.overLimitEvents == 1)
            let tenant = try await repository.usage(tenant: "acme", subject: .tenant, cycleID: nil, now: Date())
            #expect(tenant.totals.tokens == 140)
            #expect(tenant.totals.requests == 3)
            #expect(tenant.models["gpt-4o"]?.tokens == 140)
            let user = try await repository.usage(tenant: "acme", user: "a", cycleID: nil, now: Date())
            #expect(user.group == "team")
            #expect(user.levels.map(\.level) == [.group, .tenant])
        }
    }

    /// Users on their own anchors still appear in the tenant's report, counted within the tenant's cycle,
    /// and the rows add up to the totals.
    @Test func reportListsEveryUserAndGroupAndRowsSumToTotals() async throws {
        try await withRepository { repository, _ in
            let anchored = try CyclePolicy(anchorDay: 17, timeZoneIdentifier: "Asia/Tokyo")
            try await repository.setQuota(tenant: "acme", subject: .user("tokyo"), QuotaConfig(schedule: CycleSchedule(policy: anchored), group: "jp"), now: Date())
            _ = try await repository.record(Self.event("tokyo", "t1", input: 7, output: 3), options: RecordOptions())
            _ = try await repository.record(Self.event("plain", "p1", input: 100, output: 1), options: RecordOptions())
            _ = try await repository.record(Self.event("plain", "p2", input: 1, output: 1), options: RecordOptions())
            let report = try await repository.report(tenant: "acme", cycleID: nil, now: Date())
            #expect(report.users.map(\.id) == ["plain", "tokyo"])
            #expect(report.groups.map(\.id) == ["jp"])
            #expect(report.users.map(\.totals.tokens).reduce(0, +) == report.totals.tokens)
            #expect(report.users.map(\.totals.costNanoUSD).reduce(0, +) == report.totals.costNanoUSD)
            #expect(report.totals.tokens == 113)
            #expect(report.totals.requests == 3)
            #expect(report.groups.first?.totals.tokens == 10)
        }
    }

    /// Removing a limit never erases what was spent; the explicit reset starts the user's cycle from zero
    /// (the tenant's totals keep it) and the report lists who reset, when and what was spent.
    @Test func deletingAUsersQuotaNeverResetsUsageAndAResetIsRecorded() async throws {
        try await withRepository { repository, _ in
            try await repository.setQuota(tenant: "acme", subject: .user("u"), QuotaConfig(limits: QuotaLimits(tokens: 100)), now: Date())
            _ = try await repository.record(Self.event("u", "e1", input: 90, output: 0), options: RecordOptions())
            try await repository.setQuota(tenant: "acme", subject: .user("u"), nil, now: Date())
            #expect(try await repository.usage(tenant: "acme", user: "u", cycleID: nil, now: Date()).totals.tokens == 90)
            let reset = try await repository.resetUsage(tenant: "acme", user: "u", by: "admin", now: Date())
            #expect(reset.tokens == 90 && reset.by == "admin")
            let user = try await repository.usage(tenant: "acme", user: "u", cycleID: nil, now: Date())
            #expect(user.totals.tokens == 0)
            let tenant = try await repository.usage(tenant: "acme", subject: .tenant, cycleID: nil, now: Date())
            #expect(tenant.totals.tokens == 90)
            let report = try await repository.report(tenant: "acme", cycleID: nil, now: Date())
            #expect(report.resets.map(\.user) == ["u"])
            #expect(report.users.first { $0.id == "u" }?.totals.tokens == 90)
            // A PUT never resets usage.
            try await repository.setQuota(tenant: "acme", subject: .user("w"), QuotaConfig(limits: QuotaLimits(tokens: 100)), now: Date())
            _ = try await repository.record(Self.event("w", "e2", input: 40, output: 0), options: RecordOptions())
            try await repository.setQuota(tenant: "acme", subject: .user("w"), QuotaConfig(limits: QuotaLimits(tokens: 50)), now: Date())
            #expect(try await repository.usage(tenant: "acme", user: "w", cycleID: nil, now: Date()).totals.tokens == 40)
        }
    }

    /// Removing a group's quota removes its limits but keeps its cycles, so its usage does not restart.
    @Test func deletingAGroupQuotaKeepsItsCycle() async throws {
        try await withRepository { repository, _ in
            let policy = try CyclePolicy(anchorDay: 15, timeZoneIdentifier: "Asia/Tokyo")
            let limited = QuotaConfig(limits: QuotaLimits(tokens: 1000), schedule: CycleSchedule(policy: policy))
            try await repository.setQuota(tenant: "acme", subject: .group("team"), limited, now: Date())
            try await repository.setQuota(tenant: "acme", subject: .user("a"), QuotaConfig(group: "team"), now: Date())
            _ = try await repository.record(Self.event("a", "e1", input: 40, output: 2), options: RecordOptions())
            try await repository.setQuota(tenant: "acme", subject: .group("team"), nil, now: Date())
            let stored = try #require(try await repository.quota(tenant: "acme", subject: .group("team")))
            #expect(stored.limits == .unlimited)
            #expect(stored.schedule.policy == policy)
            #expect(try await repository.usage(tenant: "acme", subject: .group("team"), cycleID: nil, now: Date()).totals.tokens == 42)
            // A quota on the fallback schedule is removed entirely.
            try await repository.setQuota(tenant: "acme", subject: .group("plain"), QuotaConfig(limits: QuotaLimits(tokens: 5)), now: Date())
            try await repository.setQuota(tenant: "acme", subject: .group("plain"), nil, now: Date())
            #expect(try await repository.quota(tenant: "acme", subject: .group("plain")) == nil)
        }
    }

    /// Per-model fields name each model once per hash (`@<model>` = n, `#<n>|<field>`) and report rows are one
    /// packed field per user; fields in the v1 forms a migration leaves (`<model>|<field>`, `u|<user>|<field>`)
    /// add up with them.
    @Test func compactFieldsAndMigratedFieldsAddUp() async throws {
        try await withRepository { repository, client in
            let first = try await repository.record(Self.event("u", "e1", input: 3, output: 1), options: RecordOptions())
            let cycle = first.cycle.id
            _ = try await client.send("HSET", "q:{acme}:u:u:c:\(cycle)", "gpt-4o|in", 5)
            _ = try await client.send("HSET", "q:{acme}:T:r:\(cycle)", "u|u|in", 5)
            let fields = try await client.send("HKEYS", "q:{acme}:u:u:c:\(cycle)").array?.compactMap(\.text) ?? []
            #expect(fields.contains("@gpt-4o") && fields.contains("#1|in"))
            _ = try await repository.record(Self.event("u", "e2", input: 2, output: 0), options: RecordOptions())
            let usage = try await repository.usage(tenant: "acme", user: "u", cycleID: nil, now: Date())
            #expect(usage.models["gpt-4o"]?.usage.inputTokens == 10)
            #expect(usage.models["gpt-4o"]?.requests == 2)
            let report = try await repository.report(tenant: "acme", cycleID: nil, now: Date())
            #expect(report.users.first?.totals.usage.inputTokens == 10)
            #expect(report.users.first?.totals.requests == 2)
            let packed = try await client.send("HGET", "q:{acme}:T:r:\(cycle)", "u|u").text ?? ""
            #expect(packed.hasPrefix("5 0 0 0 1 0 0 0 0 2 0 60 "), "\(packed)")
        }
    }

    /// An instance that cached the user's old group is refused by the script and reloads: usage lands in
    /// the new group.
    @Test func staleGroupMembershipIsReloaded() async throws {
        try await withRepository { repository, client in
            let cached = RedisQuotaRepository(
                client: client, settings: RepositorySettings(quotaCacheMilliseconds: 600_000), logger: .init(label: "test.cached")
            )
            try await repository.setQuota(tenant: "acme", subject: .user("u"), QuotaConfig(group: "old"), now: Date())
            _ = try await cached.record(Self.event("u", "e1", input: 1, output: 0), options: RecordOptions())
            try await repository.setQuota(tenant: "acme", subject: .user("u"), QuotaConfig(group: "new"), now: Date())
            _ = try await cached.record(Self.event("u", "e2", input: 2, output: 0), options: RecordOptions())
            #expect(try await repository.usage(tenant: "acme", subject: .group("old"), cycleID: nil, now: Date()).totals.tokens == 1)
            #expect(try await repository.usage(tenant: "acme", subject: .group("new"), cycleID: nil, now: Date()).totals.tokens == 2)
        }
    }

    /// 600 reservations of 10 users race for a tenant limit of 5,000 tokens: exactly 5,000 are held.
    @Test func racingUsersNeverOverspendTheTenant() async throws {
        try await withRepository(poolSize: 4) { repository, _ in
            try await repository.setQuota(tenant: "acme", subject: .tenant, QuotaConfig(limits: QuotaLimits(tokens: 5000)), now: Date())
            let granted = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<600 {
                    group.addTask {
                        let outcome = try await repository.reserve(Self.request("user-\(index % 10)", 10), now: Date())
                        if case .reserved = outcome { return 10 }
                        return 0
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(granted == 5000)
            let tenant = try await repository.usage(tenant: "acme", subject: .tenant, cycleID: nil, now: Date())
            #expect(tenant.reserved.tokens == 5000)
            #expect(tenant.reserved.requests == 500)
        }
    }
}
