import AsyncRedis
import Foundation
import Testing
import TokenAccounting
import TokenQuota

/// Totals never wrap or trap: the record script refuses, before changing anything, an event that would push
/// a stored total past 2^53, and sums over users saturate instead of trapping.
@Suite struct OverflowTests {
    static let bound = 9_007_199_254_740_992  // 2^53

    /// Everything the record script may touch for user `u`: cycle hash, dedupe keys, reservations, stream.
    static func snapshot(_ client: RedisClient, cycleID: String) async throws -> [RedisReply] {
        [
            try await client.send("HGETALL", "q:{acme}:u:u:c:\(cycleID)"),
            try await client.send("HGETALL", "q:{acme}:T:c:\(cycleID)"),
            try await client.send("HGETALL", "q:{acme}:T:r:\(cycleID)"),
            try await client.send("HGETALL", "q:{acme}:r"),
            try await client.send("HGETALL", "q:{acme}:rs"),
            try await client.send("ZRANGE", "q:{acme}:rx", 0, -1, "WITHSCORES"),
            try await client.send("EXISTS", "q:{acme}:u:u:e:e2"),
            try await client.send("XLEN", "q:{acme}:x"),
            try await client.send("DBSIZE"),
        ]
    }

    @Test func eventPushingCostPastTheBoundChangesNothingAndStaysRefused() async throws {
        try await withRepository { repository, client in
            func event(_ id: String, cost: Int, reservationID: String? = nil) -> UsageEvent {
                UsageEvent(tenant: "acme", user: "u", eventID: id, model: "gpt-4o", usage: TokenUsage(inputTokens: 10, outputTokens: 5),
                           costNanoUSD: cost, priced: true, reservationID: reservationID)
            }
            let first = try await repository.record(event("e1", cost: Self.bound - 10), options: RecordOptions())
            #expect(first.recorded)
            let held = try await repository.reserve(ReservationRequest(tenant: "acme", user: "u", tokens: 50, costNanoUSD: 0, ttlSeconds: 60), now: Date())
            guard case .reserved(let reservation) = held else { Issue.record("expected a reservation"); return }
            let before = try await Self.snapshot(client, cycleID: first.cycle.id)

            // Cost 11 would make the total 2^53 + 1: refused, and the reservation it settles is still held.
            for _ in 0..<2 {
                await #expect { try await repository.record(event("e2", cost: 11, reservationID: reservation.id), options: RecordOptions()) } throws: {
                    guard let error = $0 as? QuotaError else { return false }
                    return error.code == .overflow && error.message.contains("cost_nano_usd")
                }
                #expect(try await Self.snapshot(client, cycleID: first.cycle.id) == before)
            }
            // An event whose own cost exceeds the bound (checked on its digits, exact) is refused as well.
            await #expect { try await repository.record(event("e2", cost: Int.max), options: RecordOptions()) } throws: {
                ($0 as? QuotaError)?.code == .overflow
            }
            #expect(try await Self.snapshot(client, cycleID: first.cycle.id) == before)

            // Exactly up to the bound is fine.
            let fits = try await repository.record(event("e2", cost: 10, reservationID: reservation.id), options: RecordOptions())
            #expect(fits.recorded)
            #expect(fits.totals.costNanoUSD == Self.bound)
            #expect(fits.totals.requests == 2)
            #expect(fits.reserved == ReservedAmounts())
        }
    }

    @Test func requestCounterAtTheBoundRefusesTheNextEvent() async throws {
        try await withRepository { repository, client in
            let event = UsageEvent(tenant: "acme", user: "u", eventID: "a", model: "m", usage: .zero)
            let first = try await repository.record(event, options: RecordOptions())
            // A counter already at the bound (set directly): one more request would pass it.
            _ = try await client.send("HSET", "q:{acme}:u:u:c:\(first.cycle.id)", "m|req", Self.bound)
            var next = event
            next.eventID = "b"
            await #expect { try await repository.record(next, options: RecordOptions()) } throws: {
                guard let error = $0 as? QuotaError else { return false }
                return error.code == .overflow && error.message.contains("requests") && error.message.contains("'m'")
            }
            #expect(try await client.send("EXISTS", "q:{acme}:u:u:e:b").int == 0)
            let usage = try await repository.usage(tenant: "acme", user: "u", cycleID: nil, now: Date())
            #expect(usage.totals.requests == 1)
        }
    }

    /// Every level's totals are bounded: a second user's event that would push the tenant's cost past 2^53
    /// is refused and changes nothing (a report's sums therefore never overflow either).
    @Test func tenantTotalsAreBoundedToo() async throws {
        try await withRepository { repository, client in
            func event(_ user: String, cost: Int) -> UsageEvent {
                UsageEvent(tenant: "acme", user: user, eventID: "e", model: "gpt-4o", usage: TokenUsage(inputTokens: 1), costNanoUSD: cost, priced: true)
            }
            let first = try await repository.record(event("a", cost: Self.bound - 5), options: RecordOptions())
            #expect(first.recorded)
            await #expect { try await repository.record(event("b", cost: 6), options: RecordOptions()) } throws: {
                ($0 as? QuotaError)?.code == .overflow
            }
            #expect(try await client.send("EXISTS", "q:{acme}:u:b:e:e").int == 0)
            #expect(try await repository.record(event("b", cost: 5), options: RecordOptions()).recorded)
            let report = try await repository.report(tenant: "acme", cycleID: nil, now: Date())
            #expect(report.users.map(\.id) == ["a", "b"])
            #expect(report.totals.costNanoUSD == Self.bound)
            #expect(report.totals.requests == 2)
        }
    }

    @Test func totalsAndRemainingSaturateInsteadOfTrapping() {
        let huge = UsageTotals(usage: TokenUsage(inputTokens: Int.max, outputTokens: Int.max), requests: 1, costNanoUSD: Int.max)
        let sum = huge.adding(huge)
        #expect(sum.saturated)
        #expect(sum.sum.costNanoUSD == Int.max)
        #expect(sum.sum.requests == 2)
        #expect((huge + huge).tokens == Int.max)
        #expect(!UsageTotals(requests: 1).adding(UsageTotals(requests: 2)).saturated)
        let remaining = RemainingQuota(limits: QuotaLimits(tokens: 100, costNanoUSD: 100), totals: huge,
                                       reserved: ReservedAmounts(tokens: Int.max, costNanoUSD: Int.max))
        #expect(remaining.tokens == 0)
        #expect(remaining.costNanoUSD == 0)
    }
}
