import AsyncRedis
import Foundation
import Testing
import TokenAccounting
import TokenQuota

/// Rolling windows: held estimates, true-ups, releases, and a window that slides bucket by bucket.
@Suite struct WindowTests {
    static func limited(_ rate: RateLimits) -> QuotaConfig { QuotaConfig(rate: rate) }

    @Test func requestsPerMinuteRefusesTheNextRequestWithAnExactRetry() async throws {
        try await withRepository { repository, _ in
            try await repository.setQuota(tenant: "acme", subject: .user("u"), Self.limited(RateLimits(requestsPerMinute: 5)), now: Date())
            for _ in 0..<5 {
                #expect(LevelsTests.rejection(try await repository.reserve(LevelsTests.request("u", 1), now: Date())) == nil)
            }
            let refused = try #require(LevelsTests.rejection(try await repository.reserve(LevelsTests.request("u", 1), now: Date())))
            #expect(refused.level == .user)
            #expect(refused.limit == .requestsPerMinute)
            #expect(refused.used == 5)
            #expect((1...61).contains(refused.retryAfterSeconds ?? 0))
        }
    }

    @Test func releaseGivesTheWindowBack() async throws {
        try await withRepository { repository, _ in
            try await repository.setQuota(tenant: "acme", subject: .tenant, Self.limited(RateLimits(requestsPerMinute: 1)), now: Date())
            guard case .reserved(let held) = try await repository.reserve(LevelsTests.request("u", 1), now: Date()) else {
                Issue.record("first reservation refused")
                return
            }
            #expect(LevelsTests.rejection(try await repository.reserve(LevelsTests.request("u", 1), now: Date()))?.level == .tenant)
            #expect(try await repository.release(tenant: "acme", user: "u", reservationID: held.id))
            #expect(LevelsTests.rejection(try await repository.reserve(LevelsTests.request("u", 1), now: Date())) == nil)
        }
    }

    @Test func commitTruesTheEstimateUpOrDown() async throws {
        try await withRepository { repository, _ in
            try await repository.setQuota(tenant: "acme", subject: .user("u"), Self.limited(RateLimits(tokensPerMinute: 1000)), now: Date())
            guard case .reserved(let held) = try await repository.reserve(LevelsTests.request("u", 800), now: Date()) else {
                Issue.record("reservation refused")
                return
            }
            #expect(held.rateLimit?.limit == .tokensPerMinute)
            #expect(held.rateLimit?.remaining == 200)
            let recorded = try await repository.record(LevelsTests.event("u", held.id, input: 60, output: 40, reservation: held.id), options: RecordOptions())
            #expect(recorded.rateLimit?.remaining == 900)
            #expect(LevelsTests.rejection(try await repository.reserve(LevelsTests.request("u", 800), now: Date())) == nil)
            let refused = try #require(LevelsTests.rejection(try await repository.reserve(LevelsTests.request("u", 200), now: Date())))
            #expect(refused.limit == .tokensPerMinute)
            #expect(refused.used == 900)
            // An event without a reservation counts in the window too, and can leave it over its limit.
            let over = try await repository.record(LevelsTests.event("u", "direct", input: 500, output: 0), options: RecordOptions())
            #expect(over.overLimit == [.user])
            let usage = try await repository.usage(tenant: "acme", user: "u", cycleID: nil, now: Date())
            #expect(usage.windows == [WindowUsage(seconds: 60, tokens: 1400, requests: 3)])
        }
    }

    /// Moves every bucket of the user's minute window `seconds` into the past, as if that time had passed.
    static func age(_ client: RedisClient, user: String, seconds: Int) async throws {
        let key = "q:{acme}:u:\(user):w"
        let flat = try await client.send("HGETALL", key).array ?? []
        var fields: [String: String] = [:]
        var index = 0
        while index + 1 < flat.count {
            fields[flat[index].text ?? ""] = flat[index + 1].text ?? ""
            index += 2
        }
        var moved: [any RedisArgument] = []
        for (field, value) in fields {
            if field.hasPrefix("mt") || field.hasPrefix("mr"), let bucket = Int(field.dropFirst(2)) {
                moved += [String(field.prefix(2)) + String(bucket - seconds), value]
            } else if field == "mL", let low = Int(value) {
                moved += [field, String(low - seconds)]
            } else {
                moved += [field, value]
            }
        }
        _ = try await client.send("DEL", key)
        _ = try await client.send(RedisCommand("HSET", [key] + moved))
    }

    @Test func theWindowSlidesBucketByBucket() async throws {
        try await withRepository { repository, client in
            try await repository.setQuota(tenant: "acme", subject: .user("u"), Self.limited(RateLimits(tokensPerMinute: 100)), now: Date())
            _ = try await repository.record(LevelsTests.event("u", "full", input: 100, output: 0), options: RecordOptions())
            try await Self.age(client, user: "u", seconds: 30)
            let refused = try #require(LevelsTests.rejection(try await repository.reserve(LevelsTests.request("u", 50), now: Date())))
            // The 100 tokens, 30 s old, leave the window 31 s from now (61 buckets of 1 s are summed).
            #expect((29...32).contains(refused.retryAfterSeconds ?? 0))
            try await Self.age(client, user: "u", seconds: 31)
            #expect(LevelsTests.rejection(try await repository.reserve(LevelsTests.request("u", 50), now: Date())) == nil)
            let usage = try await repository.usage(tenant: "acme", user: "u", cycleID: nil, now: Date())
            #expect(usage.windows.first?.tokens == 50)
        }
    }
}
