import AsyncRedis
import Foundation
import Testing
import TokenAccounting
import TokenQuota

/// Day buckets, dimension reports, the event stream and declared dimensions, read from a real Redis.
@Suite struct HistoryTests {
    /// A packed row: the 14 counts `in cin cw cw1 out rsn ain aout wsr req err cost unp est`.
    static func row(_ counts: [Int]) -> String { counts.map(String.init).joined(separator: " ") }

    @Test func dailyRowsForEveryDayOfTheRangeWithZerosForMissingDays() async throws {
        try await withRepository { (repository, client) async throws in
            let keys = QuotaKeys(tenant: "acme")
            try await client.send(
                "HSET", keys.day("2025-03-01"), "T", Self.row([100, 40, 10, 4, 50, 20, 1, 2, 3, 2, 1, 1234, 0, 1]),
                "u|alice", Self.row([60, 0, 0, 0, 30, 0, 0, 0, 0, 1, 0, 800, 0, 0]), "um|alice|gpt-4o", Self.row([60, 0, 0, 0, 30, 0, 0, 0, 0, 1, 0, 800, 0, 0])
            )
            try await client.send("HSET", keys.day("2025-03-03"), "u|alice", Self.row([7, 0, 0, 0, 3, 0, 0, 0, 0, 1, 1, 5, 1, 0]))
            let march = try #require(CalendarDay("2025-03-01"))
            let fourth = try #require(CalendarDay("2025-03-04"))
            let history = try await repository.dailyUsage(
                tenant: "acme", from: march, to: fourth, row: .user("alice"), now: Date()
            )
            #expect(history.timeZone == "UTC")
            #expect(history.days.map(\.day.description) == ["2025-03-01", "2025-03-02", "2025-03-03", "2025-03-04"])
            #expect(history.days[0].totals == UsageTotals(usage: TokenUsage(inputTokens: 60, outputTokens: 30), requests: 1, costNanoUSD: 800))
            #expect(history.days[1].totals == UsageTotals())
            #expect(history.days[2].totals == UsageTotals(usage: TokenUsage(inputTokens: 7, outputTokens: 3), requests: 1, errors: 1, costNanoUSD: 5, unpricedRequests: 1))
            #expect(history.days[3].totals == UsageTotals())

            let tenant = try await repository.dailyUsage(tenant: "acme", from: march, to: march, row: .tenant, now: Date())
            #expect(tenant.days.map(\.totals) == [UsageTotals(
                usage: TokenUsage(
                    inputTokens: 100, cachedInputTokens: 40, cacheWriteTokens: 10, cacheWrite1hTokens: 4, outputTokens: 50, reasoningTokens: 20,
                    audioInputTokens: 1, audioOutputTokens: 2, webSearchRequests: 3
                ),
                requests: 2, errors: 1, costNanoUSD: 1234, estimatedRequests: 1
            )])
            let model = try await repository.dailyUsage(
                tenant: "acme", from: march, to: march, row: .userModel(user: "alice", model: "gpt-4o"), now: Date()
            )
            #expect(model.days.first?.totals.costNanoUSD == 800)
            #expect(try await repository.dailyUsage(tenant: "acme", from: march, to: march, row: .group("g1"), now: Date()).days.first?.totals == UsageTotals())
        }
    }

    @Test func theDefaultRangeIsTheLast30DaysInTheTenantsTimeZone() async throws {
        try await withRepository { (repository, _) async throws in
            let berlin = try CycleSchedule(policy: CyclePolicy(anchorDay: 1, timeZoneIdentifier: "Europe/Berlin"))
            try await repository.setQuota(tenant: "acme", subject: .tenant, QuotaConfig(schedule: berlin), now: Date())
            // 2025-03-01T23:30Z is already March 2nd in Berlin.
            let now = Date(timeIntervalSince1970: 1_740_871_800)
            let history = try await repository.dailyUsage(tenant: "acme", from: nil, to: nil, row: .tenant, now: now)
            #expect(history.timeZone == "Europe/Berlin")
            #expect(history.to.description == "2025-03-02")
            #expect(history.from.description == "2025-02-01")
            #expect(history.days.count == 30)
            // Only `to`: the 30 days up to it.
            let only = try await repository.dailyUsage(tenant: "acme", from: nil, to: CalendarDay("2024-03-01"), row: .tenant, now: now)
            #expect(only.from.description == "2024-02-01")
        }
    }

    @Test func rangeAndFilterErrors() async throws {
        var settings = RepositorySettings(quotaCacheMilliseconds: 0)
        settings.historyDays = 10
        try await withRepository(settings: settings) { (repository, _) async throws in
            let first = try #require(CalendarDay("2025-03-10"))
            let earlier = try #require(CalendarDay("2025-03-09"))
            await #expect(throws: QuotaError(.invalidArgument, "from (2025-03-10) is after to (2025-03-09)")) {
                try await repository.dailyUsage(tenant: "acme", from: first, to: earlier, row: .tenant, now: Date())
            }
            await #expect(throws: QuotaError(.invalidArgument, "the range holds 11 days; at most 10 (usage.history_days)")) {
                try await repository.dailyUsage(tenant: "acme", from: first, to: first.adding(days: 10), row: .tenant, now: Date())
            }
            _ = try await repository.dailyUsage(tenant: "acme", from: first, to: first.adding(days: 9), row: .tenant, now: Date())
        }
        #expect(throws: QuotaError(.invalidArgument, "give at most one of user and group")) {
            try DailyRowSelector(user: "alice", group: "g1", model: nil)
        }
        #expect(throws: QuotaError.self) { try DailyRowSelector(user: "a|b", group: nil, model: nil) }
        #expect(throws: QuotaError.self) { try DailyRowSelector(user: nil, group: nil, model: "a|b") }
        #expect(try DailyRowSelector(user: nil, group: "g1", model: "m").field == "gm|g1|m")
        #expect(try DailyRowSelector(user: "alice", group: nil, model: "m").field == "um|alice|m")
        #expect(try DailyRowSelector(user: nil, group: nil, model: "m").field == "m|m")
        #expect(try DailyRowSelector(user: nil, group: nil, model: nil).field == "T")
    }

    @Test func calendarDays() throws {
        #expect(CalendarDay("2024-02-29")?.description == "2024-02-29")
        #expect(CalendarDay("2025-02-29") == nil)
        #expect(CalendarDay("2025-13-01") == nil)
        #expect(CalendarDay("2025-1-01") == nil)
        #expect(CalendarDay("1899-12-31") == nil)
        #expect(CalendarDay("2025-03-01")?.adding(days: -1)?.description == "2025-02-28")
        #expect(CalendarDay("2024-12-31")?.adding(days: 1)?.description == "2025-01-01")
        #expect(CalendarDay("1970-01-01")?.dayNumber == 0)
        #expect(CalendarDay("9998-12-31")?.adding(days: 1) == nil)
        let utc = try #require(TimeZone(identifier: "UTC"))
        #expect(CalendarDay(Date(timeIntervalSince1970: -1), in: utc).description == "1969-12-31")
    }

    @Test func declaredDimensionsAreValidatedAndReplacedAtomically() async throws {
        try await withRepository { (repository, client) async throws in
            #expect(try await repository.dimensions(tenant: "acme") == [])
            #expect(try await repository.setDimensions(tenant: "acme", ["feature", "conversation_id", "feature"]) == ["conversation_id", "feature"])
            #expect(try await repository.dimensions(tenant: "acme") == ["conversation_id", "feature"])
            #expect(try await client.send("SMEMBERS", "q:{acme}:dims").array?.count == 2)
            #expect(try await repository.setDimensions(tenant: "acme", ["task.id"]) == ["task.id"])
            #expect(try await repository.dimensions(tenant: "acme") == ["task.id"])
            // Refused declarations change nothing.
            await #expect(throws: QuotaError.self) { try await repository.setDimensions(tenant: "acme", ["ok", "not ok"]) }
            await #expect(throws: QuotaError.self) { try await repository.setDimensions(tenant: "acme", [String(repeating: "a", count: 65)]) }
            await #expect(throws: QuotaError(.invalidArgument, "a tenant declares at most 20 dimensions (got 21)")) {
                try await repository.setDimensions(tenant: "acme", (1...21).map { "d\($0)" })
            }
            #expect(try await repository.dimensions(tenant: "acme") == ["task.id"])
            #expect(try await repository.setDimensions(tenant: "acme", (1...20).map { "d\($0)" }).count == 20)
            #expect(try await repository.setDimensions(tenant: "acme", []) == [])
            #expect(try await client.send("EXISTS", "q:{acme}:dims").int == 0)
        }
    }

    @Test func dimensionReportReadsTheDimensionsRowsOfTheCycle() async throws {
        try await withRepository { (repository, client) async throws in
            let now = Date()
            let cycle = CyclePolicy.calendarMonthUTC.cycle(containing: now)
            try await client.send(
                "HSET", "q:{acme}:T:r:\(cycle.id)", "d|feature|chat", Self.row([10, 0, 0, 0, 5, 0, 0, 0, 0, 2, 0, 300, 0, 0]),
                "d|feature|search|v2", Self.row([1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 7, 0, 0]),
                "d|featurex|zzz", Self.row([9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9]), "u|alice", Self.row([11, 0, 0, 0, 6, 0, 0, 0, 0, 3, 0, 307, 0, 0])
            )
            await #expect(throws: QuotaError(.invalidArgument, "dimension 'feature' is not declared (see GET …/dimensions)")) {
                try await repository.dimensionReport(tenant: "acme", dimension: "feature", cycleID: nil, now: now)
            }
            _ = try await repository.setDimensions(tenant: "acme", ["feature"])
            let report = try await repository.dimensionReport(tenant: "acme", dimension: "feature", cycleID: nil, now: now)
            #expect(report.cycle == cycle)
            #expect(report.rows.map(\.id) == ["chat", "search|v2"])
            #expect(report.rows[0].totals == UsageTotals(usage: TokenUsage(inputTokens: 10, outputTokens: 5), requests: 2, costNanoUSD: 300))
            #expect(report.rows[1].totals == UsageTotals(usage: TokenUsage(inputTokens: 1, outputTokens: 1), requests: 1, costNanoUSD: 7))
            // Another cycle has no rows.
            let previous = CyclePolicy.calendarMonthUTC.cycle(containing: cycle.start.addingTimeInterval(-1))
            #expect(try await repository.dimensionReport(tenant: "acme", dimension: "feature", cycleID: previous.id, now: now).rows == [])
        }
    }

    /// Appends `count` events to the tenant's stream as the record script writes them.
    static func appendEvents(_ client: RedisClient, tenant: String, from first: Int, count: Int) async throws {
        for n in first..<(first + count) {
            var command = RedisCommand(
                "XADD", QuotaKeys(tenant: tenant).events, "*", "n", n, "e", "e-\(n)", "u", "user\(n % 3)", "g", n % 2 == 0 ? "team" : "",
                "m", "gpt-4o", "p", "openai", "s", "reported", "at", 1_740_787_200_000 + n, "rt", 1_740_787_200_500 + n, "lat", n % 5 == 0 ? "" : "\(n)",
                "err", n % 7 == 0 ? 1 : 0, "in", n * 10, "out", n, "cost", n * 1000
            )
            if n % 4 == 0 { command.append("d:feature"); command.append("chat \(n)") }
            _ = try await client.send(command)
        }
    }

    @Test func eventPagesReturnEveryEventExactlyOnce() async throws {
        try await withRepository { (repository, client) async throws in
            try await Self.appendEvents(client, tenant: "acme", from: 1, count: 250)
            var seen: [Int] = []
            var cursor: EventCursor?
            var pages: [Int] = []
            for _ in 0..<10 {
                let page = try await repository.events(tenant: "acme", after: cursor, limit: 100)
                pages.append(page.events.count)
                seen += page.events.map(\.sequence)
                if page.events.isEmpty {
                    #expect(page.next == cursor)
                    break
                }
                #expect(page.next == page.events.last?.cursor)
                cursor = page.next
            }
            #expect(pages == [100, 100, 50, 0])
            #expect(seen == Array(1...250))
            // New events appear after the last cursor.
            try await Self.appendEvents(client, tenant: "acme", from: 251, count: 2)
            let more = try await repository.events(tenant: "acme", after: cursor, limit: 100)
            #expect(more.events.map(\.sequence) == [251, 252])
            let event = more.events[1]
            let odd = more.events[0]
            #expect(event.eventID == "e-252")
            #expect(event.user == "user0")
            #expect(event.group == "team")
            #expect(event.provider == "openai")
            #expect(event.occurredAtMilliseconds == 1_740_787_200_252)
            #expect(event.recordedAtMilliseconds == 1_740_787_200_752)
            #expect(event.latencyMilliseconds == 252)
            #expect(event.isError)
            #expect(!odd.isError)
            #expect(event.usage == TokenUsage(inputTokens: 2520, outputTokens: 252))
            #expect(event.costNanoUSD == 252_000)
            #expect(event.dimensions == ["feature": "chat 252"])
            #expect(odd.group == nil)
            #expect(odd.dimensions == [:])
            // The empty stream of another tenant.
            #expect(try await repository.events(tenant: "other", after: nil, limit: 1) == EventPage(events: [], next: .start))
            await #expect(throws: QuotaError.self) { try await repository.events(tenant: "acme", after: nil, limit: 0) }
        }
    }

    @Test func recordedUsageIsReadBackPerDayPerDimensionAndAsEvents() async throws {
        try await withRepository { (repository, _) async throws in
            _ = try await repository.setDimensions(tenant: "acme", ["feature"])
            let usage = TokenUsage(inputTokens: 100, cachedInputTokens: 40, outputTokens: 50, reasoningTokens: 20)
            let now = await repository.currentTime()
            for (index, feature) in ["chat", "chat", "search"].enumerated() {
                let event = UsageEvent(
                    tenant: "acme", user: "alice", eventID: "e\(index)", provider: .openai, model: "gpt-4o", usage: usage, costNanoUSD: 1000,
                    priced: true, latencyMilliseconds: 250, metadata: ["feature": feature, "ignored": "x"], occurredAt: now
                )
                #expect(try await repository.record(event, options: RecordOptions()).recorded)
            }
            let today = CalendarDay(now, in: TimeZone(identifier: "UTC")!)
            let day = try await repository.dailyUsage(tenant: "acme", from: today, to: today, row: .userModel(user: "alice", model: "gpt-4o"), now: now)
            #expect(day.days.map(\.totals) == [UsageTotals(
                usage: TokenUsage(inputTokens: 300, cachedInputTokens: 120, outputTokens: 150, reasoningTokens: 60), requests: 3, costNanoUSD: 3000
            )])
            let tenantDay = try await repository.dailyUsage(tenant: "acme", from: today, to: today, row: .tenant, now: now)
            #expect(tenantDay.days.first?.totals.requests == 3)

            let report = try await repository.dimensionReport(tenant: "acme", dimension: "feature", cycleID: nil, now: now)
            #expect(report.rows.map(\.id) == ["chat", "search"])
            #expect(report.rows.map(\.totals.requests) == [2, 1])
            #expect(report.rows.map(\.totals.costNanoUSD) == [2000, 1000])

            let page = try await repository.events(tenant: "acme", after: nil, limit: 10)
            #expect(page.events.map(\.eventID) == ["e0", "e1", "e2"])
            #expect(page.events.map(\.sequence) == [1, 2, 3])
            #expect(page.events.map(\.dimensions) == [["feature": "chat"], ["feature": "chat"], ["feature": "search"]])
            #expect(page.events.first?.usage == usage)
            #expect(page.events.first?.costNanoUSD == 1000)
            #expect(page.events.first?.latencyMilliseconds == 250)
            #expect(page.events.first?.provider == "openai")
            #expect(page.events.first?.occurredAtMilliseconds == Int((now.timeIntervalSince1970 * 1000).rounded(.down)))
        }
    }

    @Test func eventCursors() {
        #expect(EventCursor("1740787200000-3") == EventCursor(milliseconds: 1_740_787_200_000, sequence: 3))
        #expect(EventCursor("0-0") == .start)
        for bad in ["", "1", "-1", "1-", "a-1", "1-2-3", "1.5-2", "+1-2", "18446744073709551616-0", "1 -2"] {
            #expect(EventCursor(bad) == nil, "\(bad)")
        }
        #expect(EventCursor("18446744073709551615-18446744073709551615")?.description == "18446744073709551615-18446744073709551615")
    }
}
