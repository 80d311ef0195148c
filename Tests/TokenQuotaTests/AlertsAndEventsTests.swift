import AsyncRedis
import Foundation
import Testing
import TokenAccounting
import TokenQuota

/// What the record and reserve scripts write besides the totals: threshold alerts (exactly once per level,
/// limit, threshold and cycle), rate-limited `quota.exceeded` alerts, the tenant's event stream, the day's
/// rows and the report rows per declared dimension.
@Suite struct AlertsAndEventsTests {
    static func event(_ user: String, _ id: String, tokens: Int, cost: Int = 0, metadata: [String: String] = [:]) -> UsageEvent {
        UsageEvent(
            tenant: "acme", user: user, eventID: id, provider: .openai, model: "gpt-4o",
            usage: TokenUsage(inputTokens: tokens / 2, outputTokens: tokens - tokens / 2), costNanoUSD: cost, priced: true,
            latencyMilliseconds: 42, metadata: metadata
        )
    }

    /// The entries of a stream, each as a field → value map (with its id under `_id`).
    static func entries(_ client: RedisClient, _ key: String) async throws -> [[String: String]] {
        let reply = try await client.send("XRANGE", key, "-", "+")
        return (reply.array ?? []).compactMap { entry -> [String: String]? in
            guard let parts = entry.array, parts.count == 2, let id = parts[0].text, let flat = parts[1].array else { return nil }
            var map = ["_id": id]
            var index = 0
            while index + 1 < flat.count {
                if let key = flat[index].text, let value = flat[index + 1].text { map[key] = value }
                index += 2
            }
            return map
        }
    }

    static func thresholds(_ alerts: [[String: String]]) -> [String] {
        alerts.filter { $0["type"] == "quota.threshold" }
            .map { "\($0["level"] ?? "")/\($0["subject"] ?? "")/\($0["limit"] ?? "")/\($0["threshold"] ?? "")" }.sorted()
    }

    @Test func thresholdsFireOncePerLevelLimitAndThreshold() async throws {
        try await withRepository { repository, client in
            let quota = QuotaConfig(limits: QuotaLimits(tokens: 1000, costNanoUSD: 10_000), alertThresholds: [50, 80, 100])
            try await repository.setQuota(tenant: "acme", subject: .user("ann"), quota, now: Date())
            let keys = QuotaKeys(tenant: "acme")
            _ = try await repository.record(Self.event("ann", "e1", tokens: 400, cost: 1_000), options: RecordOptions())
            #expect(try await Self.entries(client, keys.alerts).isEmpty)
            // 900 tokens: 50 % and 80 % at once (one event jumps two thresholds); cost 5,000 = 50 %.
            _ = try await repository.record(Self.event("ann", "e2", tokens: 500, cost: 4_000), options: RecordOptions())
            #expect(Self.thresholds(try await Self.entries(client, keys.alerts)) == [
                "user/ann/cost/50", "user/ann/tokens/50", "user/ann/tokens/80",
            ])
            // A retry of the same event changes nothing.
            _ = try await repository.record(Self.event("ann", "e2", tokens: 500, cost: 4_000), options: RecordOptions())
            #expect(try await Self.entries(client, keys.alerts).count == 3)
            _ = try await repository.record(Self.event("ann", "e3", tokens: 100), options: RecordOptions())
            _ = try await repository.record(Self.event("ann", "e4", tokens: 100), options: RecordOptions())
            let alerts = try await Self.entries(client, keys.alerts)
            #expect(Self.thresholds(alerts) == ["user/ann/cost/50", "user/ann/tokens/100", "user/ann/tokens/50", "user/ann/tokens/80"])
            let full = try #require(alerts.first { $0["threshold"] == "100" })
            #expect(full["used"] == "1000")
            #expect(full["value"] == "1000")
            #expect(full["event"] == "e3")
            #expect(full["user"] == "ann")
            #expect(full["cycle"]?.count == 10)
        }
    }

    @Test func concurrentRecordsRaiseEachThresholdExactlyOnce() async throws {
        try await withRepository { repository, client in
            try await repository.setQuota(
                tenant: "acme", subject: .tenant, QuotaConfig(limits: QuotaLimits(tokens: 2_000), alertThresholds: [10, 50, 90, 100]), now: Date()
            )
            try await repository.setQuota(
                tenant: "acme", subject: .group("team"), QuotaConfig(limits: QuotaLimits(requests: 50), alertThresholds: [50, 100]), now: Date()
            )
            for user in ["a", "b", "c", "d"] {
                try await repository.setQuota(tenant: "acme", subject: .user(user), QuotaConfig(group: "team"), now: Date())
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        let user = ["a", "b", "c", "d"][index % 4]
                        _ = try await repository.record(Self.event(user, "r\(index)", tokens: 15), options: RecordOptions())
                    }
                }
                try await group.waitForAll()
            }
            #expect(Self.thresholds(try await Self.entries(client, QuotaKeys(tenant: "acme").alerts)) == [
                "group/team/requests/100", "group/team/requests/50",
                "tenant/acme/tokens/10", "tenant/acme/tokens/100", "tenant/acme/tokens/50", "tenant/acme/tokens/90",
            ])
        }
    }

    @Test func refusedReservationsRaiseOneExceededAlertPerMinute() async throws {
        try await withRepository { repository, client in
            try await repository.setQuota(tenant: "acme", subject: .user("ann"), QuotaConfig(limits: QuotaLimits(tokens: 100)), now: Date())
            for attempt in 0..<5 {
                let outcome = try await repository.reserve(
                    ReservationRequest(tenant: "acme", user: "ann", tokens: 500 + attempt, costNanoUSD: 0, ttlSeconds: 60), now: Date()
                )
                guard case .rejected = outcome else { Issue.record("reservation \(attempt) was granted"); return }
            }
            let alerts = try await Self.entries(client, QuotaKeys(tenant: "acme").alerts)
            #expect(alerts.count == 1)
            #expect(alerts.first?["type"] == "quota.exceeded")
            #expect(alerts.first?["level"] == "user")
            #expect(alerts.first?["limit"] == "tokens")
            #expect(alerts.first?["requested"] == "500")
        }
    }

    @Test func recordedEventsReachTheStreamTheDayRowsAndTheDimensionRows() async throws {
        try await withRepository { repository, client in
            let keys = QuotaKeys(tenant: "acme")
            _ = try await client.send("SADD", keys.dimensions, "feature")
            try await repository.setQuota(tenant: "acme", subject: .user("ann"), QuotaConfig(group: "team"), now: Date())
            let metadata = ["feature": "chat", "conversation_id": "c-1", "bad key": "x"]
            _ = try await repository.record(Self.event("ann", "e1", tokens: 10, cost: 70, metadata: metadata), options: RecordOptions())
            _ = try await repository.record(Self.event("ann", "e1", tokens: 10, cost: 70, metadata: metadata), options: RecordOptions())
            _ = try await repository.record(Self.event("bob", "e2", tokens: 4, cost: 30), options: RecordOptions())
            let events = try await Self.entries(client, keys.events)
            #expect(events.count == 2)
            let first = try #require(events.first)
            #expect(first["n"] == "1")
            #expect(first["e"] == "e1")
            #expect(first["u"] == "ann")
            #expect(first["g"] == "team")
            #expect(first["m"] == "gpt-4o")
            #expect(first["p"] == "openai")
            #expect(first["s"] == "reported")
            #expect(first["lat"] == "42")
            #expect(first["in"] == "5")
            #expect(first["out"] == "5")
            #expect(first["cost"] == "70")
            #expect(first["d:feature"] == "chat")
            #expect(first["d:conversation_id"] == nil)
            #expect(events.last?["n"] == "2")
            #expect(events.last?["g"] == "")

            let today = Self.utcDay(Date())
            let rows = try await client.send("HGETALL", keys.day(today))
            var map: [String: String] = [:]
            var index = 0
            let flat = rows.array ?? []
            while index + 1 < flat.count {
                map[flat[index].text ?? ""] = flat[index + 1].text
                index += 2
            }
            // in cin cw cw1 out rsn ain aout wsr req err cost unp est
            #expect(map["T"] == "7 0 0 0 7 0 0 0 0 2 0 100 0 0")
            #expect(map["u|ann"] == "5 0 0 0 5 0 0 0 0 1 0 70 0 0")
            #expect(map["g|team"] == "5 0 0 0 5 0 0 0 0 1 0 70 0 0")
            #expect(map["m|gpt-4o"] == "7 0 0 0 7 0 0 0 0 2 0 100 0 0")
            #expect(map["um|bob|gpt-4o"] == "2 0 0 0 2 0 0 0 0 1 0 30 0 0")
            #expect(map["gm|team|gpt-4o"] == "5 0 0 0 5 0 0 0 0 1 0 70 0 0")

            let cycle = CycleSchedule().cycle(containing: Date()).id
            let chat = try await client.send("HGET", "q:{acme}:T:r:\(cycle)", "d|feature|chat")
            #expect(chat.text == "5 0 0 0 5 0 0 0 0 1 0 70 0 0")
            #expect(try await client.send("SISMEMBER", QuotaKeys.tenantRegistry, "acme").int == 1)
        }
    }

    static func utcDay(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .gmt
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }
}
