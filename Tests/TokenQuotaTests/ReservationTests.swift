import AsyncRedis
import Foundation
import Testing
import TokenAccounting
import TokenQuota

@Suite struct ReservationTests {
    /// 500 concurrent reservations race for one user's token limit: the committed total never exceeds the
    /// limit, and every rejection is correct at the moment it was made.
    @Test func concurrentReservationsNeverOverspend() async throws {
        try await withRepository(poolSize: 4) { repository, _ in
            let limit = 20_000
            try await repository.setQuota(tenant: "acme", user: "racer", QuotaConfig(limits: QuotaLimits(tokens: limit)), now: Date())
            let results = try await withThrowingTaskGroup(of: (Int, ReserveOutcome).self) { group in
                for index in 0..<500 {
                    group.addTask {
                        let tokens = 50 + (index * 37) % 200
                        let outcome = try await repository.reserve(
                            ReservationRequest(tenant: "acme", user: "racer", tokens: tokens, costNanoUSD: 0, ttlSeconds: 60),
                            now: Date()
                        )
                        if case .reserved(let reservation) = outcome {
                            // Commit the actual usage (at most what was reserved) in place of the reservation.
                            let event = UsageEvent(
                                tenant: "acme", user: "racer", eventID: "call-\(index)", model: "gpt-4o",
                                usage: TokenUsage(inputTokens: tokens / 2, outputTokens: tokens - tokens / 2), reservationID: reservation.id
                            )
                            _ = try await repository.record(event, options: RecordOptions())
                        }
                        return (tokens, outcome)
                    }
                }
                var all: [(Int, ReserveOutcome)] = []
                for try await result in group { all.append(result) }
                return all
            }
            var grantedTokens = 0
            var rejections = 0
            for (tokens, outcome) in results {
                switch outcome {
                case .reserved: grantedTokens += tokens
                case .rejected(let rejection):
                    rejections += 1
                    #expect(rejection.limit == .tokens)
                    #expect(rejection.limitValue == limit)
                    #expect(rejection.requested == tokens)
                    #expect(rejection.used + rejection.reserved + rejection.requested > limit)
                    #expect((rejection.retryAfterSeconds ?? 0) > 0)
                }
            }
            let usage = try await repository.usage(tenant: "acme", user: "racer", cycleID: nil, now: Date())
            #expect(usage.totals.tokens == grantedTokens)
            #expect(usage.totals.tokens <= limit)
            #expect(usage.reserved == ReservedAmounts())
            #expect(rejections > 0)
            let overspend = max(0, usage.totals.tokens - limit)
            #expect(overspend == 0)
            print("figure: 500 racing reservations: granted \(results.count - rejections), rejected \(rejections), committed \(usage.totals.tokens)/\(limit) tokens, overspend = \(overspend)")
        }
    }

    @Test func expiredReservationsFreeTheirQuota() async throws {
        try await withRepository { repository, _ in
            try await repository.setQuota(tenant: "acme", user: "u", QuotaConfig(limits: QuotaLimits(tokens: 1000)), now: Date())
            let now = Date()
            // A caller reserves the whole quota for 1 s and then crashes: it never commits or releases.
            let stale = try await repository.reserve(ReservationRequest(tenant: "acme", user: "u", tokens: 1000, costNanoUSD: 0, ttlSeconds: 1), now: now)
            guard case .reserved = stale else { Issue.record("expected a reservation"); return }
            // While it is active, nothing else fits.
            let blocked = try await repository.reserve(ReservationRequest(tenant: "acme", user: "u", tokens: 1, costNanoUSD: 0, ttlSeconds: 30), now: now)
            guard case .rejected(let rejection) = blocked else { Issue.record("expected a rejection"); return }
            #expect(rejection.reserved == 1000)
            // Once Redis's clock passes its expiry it is gone by itself (waiting on the condition, at most 10 s).
            let deadline = ContinuousClock.now + .seconds(10)
            var usage = try await repository.usage(tenant: "acme", user: "u", cycleID: nil, now: Date())
            while usage.reserved != ReservedAmounts(), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
                usage = try await repository.usage(tenant: "acme", user: "u", cycleID: nil, now: Date())
            }
            #expect(usage.reserved == ReservedAmounts())
            #expect(usage.remaining.tokens == 1000)
            let fresh = try await repository.reserve(ReservationRequest(tenant: "acme", user: "u", tokens: 1000, costNanoUSD: 0, ttlSeconds: 60), now: Date())
            guard case .reserved(let reservation) = fresh else { Issue.record("expected the full quota to be free"); return }
            #expect(try await repository.release(tenant: "acme", user: "u", reservationID: reservation.id))
            #expect(try await !repository.release(tenant: "acme", user: "u", reservationID: reservation.id))
            #expect(try await repository.reservationOwner(tenant: "acme", reservationID: reservation.id) == nil) // released, never committed: gone
        }
    }

    @Test func costAndRequestLimitsAndTenantDefault() async throws {
        try await withRepository { repository, _ in
            try await repository.setDefaultQuota(tenant: "acme", QuotaConfig(limits: QuotaLimits(costNanoUSD: 1_000, requests: 2)), now: Date())
            let request = ReservationRequest(tenant: "acme", user: "anyone", tokens: 10, costNanoUSD: 600, ttlSeconds: 60)
            guard case .reserved = try await repository.reserve(request, now: Date()) else { Issue.record("first fits"); return }
            guard case .rejected(let byCost) = try await repository.reserve(request, now: Date()) else { Issue.record("cost"); return }
            #expect(byCost.limit == .cost)
            #expect(byCost.reserved == 600)
            var cheap = request
            cheap.costNanoUSD = 1
            guard case .reserved = try await repository.reserve(cheap, now: Date()) else { Issue.record("second fits"); return }
            guard case .rejected(let byRequests) = try await repository.reserve(cheap, now: Date()) else { Issue.record("requests"); return }
            #expect(byRequests.limit == .requests)
            // A user's own quota replaces the default.
            try await repository.setQuota(tenant: "acme", user: "vip", QuotaConfig(limits: .unlimited), now: Date())
            let vip = try await repository.quota(tenant: "acme", user: "vip")
            #expect(vip.isUserSpecific)
            #expect(!vip.config.limits.isLimited)
            let anyone = try await repository.quota(tenant: "acme", user: "anyone")
            #expect(!anyone.isUserSpecific)
            #expect(anyone.config.limits.requests == 2)
        }
    }

    @Test func anchorChangedMidCycleKeepsTheRunningCycle() async throws {
        try await withRepository { repository, client in
            let utc = TimeZone(identifier: "UTC")!
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = utc
            let midNovember = calendar.date(from: DateComponents(year: 2026, month: 11, day: 10, hour: 12))!
            try await repository.setQuota(tenant: "acme", user: "u", QuotaConfig(), now: midNovember)
            try await repository.setQuota(tenant: "acme", user: "fresh", QuotaConfig(), now: midNovember)
            // Usage in the running cycle keeps it; a user with nothing recorded starts on the new policy at once.
            // (Recording selects the cycle by Redis's clock, so November's usage is written as the record script would.)
            _ = try await client.send("HINCRBY", "q:{acme}:u:u:c:2026-11-01", "in", 10)
            let newPolicy = try CyclePolicy(anchorDay: 20, timeZoneIdentifier: "UTC")
            for user in ["u", "fresh"] {
                try await repository.setQuota(tenant: "acme", user: user, QuotaConfig(schedule: CycleSchedule(policy: newPolicy)), now: midNovember)
            }
            let usage = try await repository.usage(tenant: "acme", user: "u", cycleID: nil, now: midNovember)
            #expect(usage.cycle.id == "2026-11-01")
            #expect(usage.cycle.end == calendar.date(from: DateComponents(year: 2026, month: 11, day: 20))!)
            let fresh = try await repository.usage(tenant: "acme", user: "fresh", cycleID: nil, now: midNovember)
            #expect(fresh.cycle == newPolicy.cycle(containing: midNovember))
        }
    }
}
