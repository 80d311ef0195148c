import Foundation
import Testing
import TokenAccounting
import TokenQuota

/// A rejection's `retryAfterSeconds` is the earliest moment the request could succeed, not the cycle end.
@Suite struct RetryAfterTests {
    static func reserve(_ repository: RedisQuotaRepository, tokens: Int, ttl: Int, now: Date) async throws -> ReserveOutcome {
        try await repository.reserve(ReservationRequest(tenant: "acme", user: "u", tokens: tokens, costNanoUSD: 0, ttlSeconds: ttl), now: now)
    }

    @Test func heldReservationsGiveTheirExpiryNotTheCycleEnd() async throws {
        try await withRepository { repository, _ in
            try await repository.setQuota(tenant: "acme", user: "u", QuotaConfig(limits: QuotaLimits(tokens: 1000)), now: Date())
            let now = Date()
            guard case .reserved = try await Self.reserve(repository, tokens: 900, ttl: 60, now: now) else {
                Issue.record("expected a reservation"); return
            }
            guard case .rejected(let rejection) = try await Self.reserve(repository, tokens: 200, ttl: 60, now: now) else {
                Issue.record("expected a rejection"); return
            }
            #expect((1...60).contains(rejection.retryAfterSeconds ?? 0))
            let cycle = CycleSchedule().cycle(containing: now)
            #expect(rejection.resetsAt == cycle.end)
        }
    }

    /// Reservations expire in order; the retry time is the first expiry after which the request fits.
    @Test func walksReservationsByExpiryUntilTheRequestFits() async throws {
        try await withRepository { repository, _ in
            try await repository.setQuota(tenant: "acme", user: "u", QuotaConfig(limits: QuotaLimits(tokens: 1000)), now: Date())
            let now = Date()
            _ = try await Self.reserve(repository, tokens: 300, ttl: 2, now: now)
            _ = try await Self.reserve(repository, tokens: 500, ttl: 120, now: now)
            // 400 fits once the 300 expire (after 2 s); 600 only once both have (after 120 s).
            guard case .rejected(let small) = try await Self.reserve(repository, tokens: 400, ttl: 60, now: now),
                  case .rejected(let large) = try await Self.reserve(repository, tokens: 600, ttl: 60, now: now)
            else { Issue.record("expected two rejections"); return }
            #expect((1...2).contains(small.retryAfterSeconds ?? 0))
            #expect((91...120).contains(large.retryAfterSeconds ?? 0))
            // Once Redis's clock passes that moment the request fits (waiting on the condition, at most 10 s).
            let deadline = ContinuousClock.now + .seconds(10)
            var fitted = false
            while !fitted, ContinuousClock.now < deadline {
                if case .reserved = try await Self.reserve(repository, tokens: 400, ttl: 60, now: Date()) { fitted = true } else {
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            #expect(fitted)
        }
    }

    @Test func usedQuotaWaitsForTheCycleReset() async throws {
        try await withRepository { repository, _ in
            try await repository.setQuota(tenant: "acme", user: "u", QuotaConfig(limits: QuotaLimits(tokens: 1000)), now: Date())
            let event = UsageEvent(tenant: "acme", user: "u", eventID: "e", model: "gpt-4o", usage: TokenUsage(inputTokens: 600, outputTokens: 400))
            _ = try await repository.record(event, options: RecordOptions())
            // A reservation that expires soon does not help: used alone leaves no room.
            let now = Date()
            _ = try await Self.reserve(repository, tokens: 0, ttl: 5, now: now)
            guard case .rejected(let rejection) = try await Self.reserve(repository, tokens: 1, ttl: 60, now: now) else {
                Issue.record("expected a rejection"); return
            }
            let schedule = CycleSchedule()
            #expect(rejection.used == 1000)
            // Decided by Redis's clock (this machine's, a moment later): within a second or two of the local answer.
            #expect(abs((rejection.retryAfterSeconds ?? 0) - schedule.secondsUntilReset(from: now)) <= 2)
            #expect(rejection.resetsAt == schedule.cycle(containing: now).end)
        }
    }
}
