import Foundation
import Testing
import TokenAccounting
import TokenQuota

/// Issue 24 against a real Redis: a quota PUT that changes a user's cycle policy starts a user with nothing
/// recorded in the running cycle on the new schedule at once, and keeps a user with usage on the running
/// cycle until a boundary of the new schedule, with no cycle shorter than a day in between.
@Suite struct CycleChangeTests {
    static let zones = ["America/New_York", "Asia/Tokyo", "Asia/Kathmandu", "Australia/Lord_Howe"]

    private func event(_ user: String, _ id: String, tokens: Int = 100) -> UsageEvent {
        UsageEvent(
            tenant: "acme", user: user, eventID: id, provider: .openai, model: "gpt-4o",
            usage: TokenUsage(inputTokens: tokens, outputTokens: 0), costNanoUSD: 0, priced: true
        )
    }

    @Test(arguments: zones) func aUserWithNothingRecordedStartsOnTheNewScheduleAtOnce(zone: String) async throws {
        try await withRepository { repository, _ in
            // Another user's usage in the tenant's (UTC) cycle does not matter.
            _ = try await repository.record(event("other", "o1"), options: RecordOptions())
            let policy = try CyclePolicy(anchorDay: 1, timeZoneIdentifier: zone)
            let now = Date()
            try await repository.setQuota(tenant: "acme", user: "new", QuotaConfig(limits: QuotaLimits(tokens: 1000), schedule: CycleSchedule(policy: policy)), now: now)
            let stored = try await repository.quota(tenant: "acme", user: "new").config.schedule
            #expect(stored == CycleSchedule(policy: policy), "no transition from the tenant's UTC cycle")
            let usage = try await repository.usage(tenant: "acme", user: "new", cycleID: nil, now: now)
            #expect(usage.cycle == policy.cycle(containing: now))

            // Recorded now, the usage lands in that cycle.
            _ = try await repository.record(event("new", "n1"), options: RecordOptions())
            let after = try await repository.usage(tenant: "acme", user: "new", cycleID: nil, now: Date())
            #expect(after.cycle.id == policy.cycle(containing: Date()).id)
            #expect(after.totals.usage.inputTokens == 100)
        }
    }

    @Test(arguments: zones) func aUserWithUsageKeepsTheRunningCycleUntilABoundaryOfTheNewSchedule(zone: String) async throws {
        try await withRepository { repository, _ in
            _ = try await repository.record(event("busy", "b1"), options: RecordOptions())
            let now = Date()
            let running = CycleSchedule().cycle(containing: now)
            let policy = try CyclePolicy(anchorDay: 1, timeZoneIdentifier: zone)
            try await repository.setQuota(tenant: "acme", user: "busy", QuotaConfig(limits: QuotaLimits(tokens: 1000), schedule: CycleSchedule(policy: policy)), now: now)
            let stored = try await repository.quota(tenant: "acme", user: "busy").config.schedule
            let transition = try #require(stored.transition, "the running cycle holds usage: it must keep its id")
            #expect(transition.id == running.id)
            #expect(transition.start == running.start)
            // It ends at the new schedule's boundary (or a bridge of a day or more leads there).
            let end = stored.bridge?.end ?? transition.end
            #expect(policy.isCycleStart(end), "\(stored) does not reach a boundary of \(zone)")
            var cycle = stored.cycle(containing: now)
            for _ in 0..<3 {
                #expect(cycle.duration >= 23 * 3_600, "\(cycle) is shorter than a day")
                cycle = stored.cycle(containing: cycle.end)
            }
            #expect(cycle == policy.cycle(containing: cycle.start), "later cycles are \(zone)'s")
            let usage = try await repository.usage(tenant: "acme", user: "busy", cycleID: nil, now: now)
            #expect(usage.cycle.id == running.id)
            #expect(usage.totals.usage.inputTokens == 100, "the usage stays in the running cycle")
        }
    }

    @Test func changingAgainWithoutUsageDropsTheTransitionOnlyWhenThePolicyChanges() async throws {
        try await withRepository { repository, _ in
            let newYork = try CyclePolicy(anchorDay: 1, timeZoneIdentifier: "America/New_York")
            let tokyo = try CyclePolicy(anchorDay: 1, timeZoneIdentifier: "Asia/Tokyo")
            _ = try await repository.record(event("ann", "a1"), options: RecordOptions())
            try await repository.setQuota(tenant: "acme", user: "ann", QuotaConfig(schedule: CycleSchedule(policy: newYork)), now: Date())
            let first = try await repository.quota(tenant: "acme", user: "ann").config.schedule
            #expect(first.transition != nil)
            // The same policy again (a limit change) keeps the transition.
            try await repository.setQuota(tenant: "acme", user: "ann", QuotaConfig(limits: QuotaLimits(tokens: 5), schedule: CycleSchedule(policy: newYork)), now: Date())
            #expect(try await repository.quota(tenant: "acme", user: "ann").config.schedule == first)
            // Another policy: the running (transition) cycle holds usage, so it is kept again.
            try await repository.setQuota(tenant: "acme", user: "ann", QuotaConfig(schedule: CycleSchedule(policy: tokyo)), now: Date())
            let second = try await repository.quota(tenant: "acme", user: "ann").config.schedule
            #expect(second.transition?.id == first.transition?.id)
            #expect(second.policy == tokyo)
        }
    }
}
