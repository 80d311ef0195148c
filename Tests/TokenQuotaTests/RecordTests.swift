import AsyncRedis
import Foundation
import Testing
import TokenAccounting
import TokenQuota

@Suite struct RecordTests {
    @Test func recordsTotalsAndPerModelBreakdownAndIgnoresDuplicates() async throws {
        try await withRepository { repository, client in
            let usage = TokenUsage(inputTokens: 100, cachedInputTokens: 40, cacheWriteTokens: 10, cacheWrite1hTokens: 4, outputTokens: 50, reasoningTokens: 20)
            var event = UsageEvent(tenant: "acme", user: "u1", eventID: "e1", provider: .openai, model: "gpt-4o", usage: usage, costNanoUSD: 1234, priced: true)
            event.pricedAs = "gpt-4o"
            let first = try await repository.record(event, options: RecordOptions())
            #expect(first.recorded)
            #expect(first.totals.usage == usage)
            #expect(first.totals.requests == 1)
            #expect(first.totals.costNanoUSD == 1234)

            let again = try await repository.record(event, options: RecordOptions())
            #expect(!again.recorded)
            #expect(again.totals == first.totals)
            #expect(again.firstCostNanoUSD == 1234)

            var other = event
            other.eventID = "e2"
            other.model = "claude-sonnet-4-5"
            other.priced = false
            other.pricedAs = nil
            other.costNanoUSD = 0
            other.source = .estimated
            _ = try await repository.record(other, options: RecordOptions())
            var failed = event
            failed.eventID = "e3"
            failed.isError = true
            failed.usage = .zero
            failed.costNanoUSD = 0
            _ = try await repository.record(failed, options: RecordOptions())

            let read = try await repository.usage(tenant: "acme", user: "u1", cycleID: nil, now: Date())
            #expect(read.totals.usage == usage + usage)
            #expect(read.totals.requests == 2)
            #expect(read.totals.errors == 1)
            #expect(read.totals.unpricedRequests == 1)
            #expect(read.totals.estimatedRequests == 1)
            #expect(read.models["gpt-4o"]?.requests == 1)
            #expect(read.models["gpt-4o"]?.errors == 1)
            #expect(read.models["gpt-4o"]?.costNanoUSD == 1234)
            #expect(read.models["claude-sonnet-4-5"]?.usage == usage)
            #expect(read.models["claude-sonnet-4-5"]?.unpricedRequests == 1)
            #expect(read.cycle.id == CyclePolicy.calendarMonthUTC.cycle(containing: Date()).id)

            // The cycle key expires (history is bounded) and the tenant's event stream holds the three events,
            // each with the price entry that matched (none for the unpriced one); no per-user stream is written.
            let ttl = try await client.send("TTL", "q:{acme}:u:u1:c:\(read.cycle.id)").int ?? -1
            #expect(ttl > 0)
            let page = try await repository.events(tenant: "acme", after: nil, limit: 10)
            #expect(page.events.filter { $0.user == "u1" }.count == 3)
            #expect(page.events.filter { $0.user == "u1" && $0.model == "gpt-4o" }.allSatisfy { $0.pricedAs == "gpt-4o" })
            #expect(page.events.filter { $0.user == "u1" && $0.model == "claude-sonnet-4-5" }.allSatisfy { $0.pricedAs == nil })
            #expect(page.events.allSatisfy { $0.admittedAtMilliseconds == $0.recordedAtMilliseconds }, "no reservation: admitted when recorded")
            #expect(try await client.send("EXISTS", "q:{acme}:u:u1:log").int == 0)

            // The tenant report lists the user.
            let report = try await repository.report(tenant: "acme", cycleID: nil, now: Date())
            #expect(report.users.map(\.id) == ["u1"])
            #expect(report.totals == read.totals)
        }
    }

    @Test func tokenStatisticsOffStillCountsWhatLimitsRead() async throws {
        try await withRepository { repository, _ in
            let usage = TokenUsage(inputTokens: 10, cachedInputTokens: 4, outputTokens: 5, reasoningTokens: 2)
            let event = UsageEvent(tenant: "acme", user: "u2", eventID: "x", model: "gpt-4o", usage: usage, costNanoUSD: 99, priced: true)
            let result = try await repository.record(event, options: RecordOptions(tokenStatistics: false))
            #expect(result.totals.requests == 1)
            #expect(result.totals.usage == TokenUsage(inputTokens: 10, outputTokens: 5))
            #expect(result.totals.costNanoUSD == 99)
            // No per-model breakdown: that is statistics.
            let read = try await repository.usage(tenant: "acme", user: "u2", cycleID: nil, now: Date())
            #expect(read.models.isEmpty)
            // And a token limit is reached by such events.
            try await repository.setQuota(tenant: "acme", user: "u2", QuotaConfig(limits: QuotaLimits(tokens: 20)), now: Date())
            let request = ReservationRequest(tenant: "acme", user: "u2", tokens: 10, costNanoUSD: 0, ttlSeconds: 60)
            guard case .rejected = try await repository.reserve(request, now: Date()) else {
                Issue.record("token statistics off lifted the token limit"); return
            }
        }
    }

    @Test func invalidInputIsATypedErrorAndChangesNothing() async throws {
        try await withRepository { repository, client in
            let bad = [
                UsageEvent(tenant: "acme", user: "u:x", eventID: "e", model: "m", usage: .zero),
                UsageEvent(tenant: "acme", user: "u", eventID: "", model: "m", usage: .zero),
                UsageEvent(tenant: "acme", user: "u", eventID: "e", model: "a|b", usage: .zero),
                UsageEvent(tenant: "acme", user: "u", eventID: "e", model: "m", usage: TokenUsage(inputTokens: -1)),
                UsageEvent(tenant: "acme", user: "u", eventID: "e", model: "m", usage: TokenUsage(outputTokens: 1, reasoningTokens: 2)),
            ]
            for event in bad {
                await #expect { try await repository.record(event, options: RecordOptions()) } throws: {
                    ($0 as? QuotaError)?.code == .invalidArgument
                }
            }
            let keys = try await client.send("DBSIZE").int
            #expect(keys == 0)
        }
    }

    /// 20,000 events, 30% of them submitted again (concurrently with everything else): the stored totals
    /// equal the sum of the distinct events exactly.
    @Test func randomizedDuplicatesAreCountedExactlyOnce() async throws {
        try await withRepository(poolSize: 4) { repository, _ in
            var random = SplitMix64(seed: 20_000)
            let users = (0..<20).map { "user-\($0)" }
            let models = ["gpt-4o", "claude-sonnet-4-5", "gemini-2.5-pro"]
            var events: [UsageEvent] = []
            for index in 0..<20_000 {
                let input = Int.random(in: 1...5000, using: &random)
                let cached = Int.random(in: 0...input, using: &random)
                let output = Int.random(in: 0...2000, using: &random)
                events.append(UsageEvent(
                    tenant: "acme", user: users[Int.random(in: 0..<users.count, using: &random)], eventID: "evt-\(index)",
                    model: models[Int.random(in: 0..<models.count, using: &random)],
                    usage: TokenUsage(inputTokens: input, cachedInputTokens: cached, outputTokens: output, reasoningTokens: output / 3),
                    costNanoUSD: Int.random(in: 0...50_000_000, using: &random), priced: true
                ))
            }
            var submissions = events
            for event in events where Double.random(in: 0..<1, using: &random) < 0.3 { submissions.append(event) }
            submissions.shuffle(using: &random)

            let recordedFlags = try await withThrowingTaskGroup(of: Bool.self) { group in
                var flags: [Bool] = []
                var next = 0
                // Bounded concurrency: 256 submissions in flight at once.
                while next < submissions.count || !group.isEmpty {
                    while next < submissions.count && next < flags.count + 256 {
                        let event = submissions[next]
                        group.addTask { try await repository.record(event, options: RecordOptions()).recorded }
                        next += 1
                    }
                    if let flag = try await group.next() { flags.append(flag) }
                }
                return flags
            }
            #expect(recordedFlags.filter { $0 }.count == events.count)

            var expected: [String: UsageTotals] = [:]
            for event in events {
                expected[event.user, default: UsageTotals()] = expected[event.user, default: UsageTotals()]
                    + UsageTotals(usage: event.usage, requests: 1, costNanoUSD: event.costNanoUSD)
            }
            var doubleCounted = 0
            for user in users {
                let stored = try await repository.usage(tenant: "acme", user: user, cycleID: nil, now: Date()).totals
                let want = expected[user] ?? UsageTotals()
                #expect(stored == want, "user \(user)")
                doubleCounted += stored.requests - want.requests
            }
            #expect(doubleCounted == 0)
            print("figure: randomized record test: \(events.count) distinct events, \(submissions.count - events.count) duplicates submitted, double-counted = \(doubleCounted)")
        }
    }

    /// Audio tokens and web search requests are stored per total and per model, and reach the audit stream.
    @Test func audioAndWebSearchClassesAreStored() async throws {
        try await withRepository { repository, client in
            let usage = TokenUsage(inputTokens: 300, outputTokens: 120, audioInputTokens: 200, audioOutputTokens: 100, webSearchRequests: 2)
            let event = UsageEvent(tenant: "acme", user: "v", eventID: "a1", model: "gpt-4o-audio-preview", usage: usage, costNanoUSD: 5, priced: true)
            let result = try await repository.record(event, options: RecordOptions())
            #expect(result.totals.usage == usage)
            var second = event
            second.eventID = "a2"
            _ = try await repository.record(second, options: RecordOptions())
            let read = try await repository.usage(tenant: "acme", user: "v", cycleID: nil, now: Date())
            #expect(read.totals.usage == usage + usage)
            #expect(read.models["gpt-4o-audio-preview"]?.usage == usage + usage)
            let entries = try await client.send("XRANGE", "q:{acme}:x", "-", "+")
            let fields = entries.array?.first { ($0.array?.last?.array?.compactMap(\.text) ?? []).contains("v") }?.array?.last?.array?.compactMap(\.text) ?? []
            var map: [String: String] = [:]
            for index in stride(from: 0, to: fields.count - 1, by: 2) { map[fields[index]] = fields[index + 1] }
            #expect(map["ain"] == "200")
            #expect(map["aout"] == "100")
            #expect(map["wsr"] == "2")
            // With token statistics off they are not stored (input and output, which limits read, are).
            var off = event
            off.eventID = "a3"
            let counted = try await repository.record(off, options: RecordOptions(tokenStatistics: false))
            var expected = usage + usage
            expected.inputTokens += usage.inputTokens
            expected.outputTokens += usage.outputTokens
            #expect(counted.totals.usage == expected)
            #expect(counted.totals.requests == 3)
        }
    }
}
