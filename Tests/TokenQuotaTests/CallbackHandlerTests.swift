import Foundation
import Logging
import Synchronization
import Testing
import TokenAccounting
import TokenQuota

@Suite struct CallbackHandlerTests {
    static let openAIBody = Array("""
    {"id":"c1","object":"chat.completion","model":"gpt-4o-2024-08-06","choices":[],
     "usage":{"prompt_tokens":1000,"completion_tokens":200,"total_tokens":1200,"prompt_tokens_details":{"cached_tokens":400}}}
    """.utf8)

    @Test func redisHandlerCountsACallOnceAndPricesIt() async throws {
        try await withRepository { repository, _ in
            let handler = RedisUsageCallbackHandler(repository: repository, logger: Logger(label: "test"))
            let start = LLMCallStart(callID: "call-1", tenant: "acme", user: "u", provider: .openai, model: "gpt-4o",
                                     messages: [ChatMessage(role: "user", content: "Hello there")], maxOutputTokens: 500)
            try await handler.onLLMStart(start)
            let end = LLMCallEnd(start: start, output: .responseBody(Self.openAIBody))
            try await handler.onLLMEnd(end)
            try await handler.onLLMEnd(end)  // a retried callback is not counted again
            let usage = try await repository.usage(tenant: "acme", user: "u", cycleID: nil, now: Date())
            #expect(usage.totals.requests == 1)
            #expect(usage.totals.usage == TokenUsage(inputTokens: 1000, cachedInputTokens: 400, outputTokens: 200))
            // gpt-4o: 600 × $2.50 + 400 × $1.25 + 200 × $10 per 1M = 0.0015 + 0.0005 + 0.002 = $0.004
            #expect(usage.totals.costNanoUSD == 4_000_000)
            #expect(usage.models["gpt-4o-2024-08-06"]?.requests == 1)
        }
    }

    @Test func handlerReservesForLimitedUsersAndRejectsOverLimit() async throws {
        try await withRepository { repository, _ in
            try await repository.setQuota(tenant: "acme", user: "capped", QuotaConfig(limits: QuotaLimits(tokens: 1500)), now: Date())
            let handler = RedisUsageCallbackHandler(repository: repository, logger: Logger(label: "test"))
            let first = LLMCallStart(callID: "a", tenant: "acme", user: "capped", model: "gpt-4o", estimatedInputTokens: 1000, maxOutputTokens: 200)
            try await handler.onLLMStart(first)
            let held = try await repository.usage(tenant: "acme", user: "capped", cycleID: nil, now: Date())
            #expect(held.reserved.tokens == 1200)
            let second = LLMCallStart(callID: "b", tenant: "acme", user: "capped", model: "gpt-4o", estimatedInputTokens: 400, maxOutputTokens: 100)
            await #expect(throws: QuotaExceededError.self) { try await handler.onLLMStart(second) }
            // The first call fails: its reservation is released and an error is counted.
            try await handler.onLLMError(LLMCallFailure(start: first, reason: "HTTP 500 from provider"))
            let after = try await repository.usage(tenant: "acme", user: "capped", cycleID: nil, now: Date())
            #expect(after.reserved.tokens == 0)
            #expect(after.totals.errors == 1)
            #expect(after.totals.requests == 0)
            try await handler.onLLMStart(second)
        }
    }

    @Test func compositeIsolatesFailingAndSlowHandlers() async throws {
        struct Failing: LLMCallbackHandler {
            func onLLMEnd(_ call: LLMCallEnd) async throws { throw CancellationError() }
        }
        struct Slow: LLMCallbackHandler {
            func onLLMEnd(_ call: LLMCallEnd) async throws { try await Task.sleep(for: .seconds(30)) }
        }
        final class Counting: LLMCallbackHandler {
            let ends = Mutex(0)
            func onLLMEnd(_ call: LLMCallEnd) async throws { ends.withLock { $0 += 1 } }
        }
        let counting = Counting()
        let composite = CompositeCallbackHandler([Failing(), Slow(), counting], timeout: .milliseconds(200), logger: Logger(label: "test"))
        let start = LLMCallStart(callID: "z", tenant: "acme", user: "u", model: "gpt-4o")
        let clock = ContinuousClock()
        let began = clock.now
        try await composite.onLLMEnd(LLMCallEnd(start: start, output: .none))
        #expect(clock.now - began < .seconds(10))
        #expect(counting.ends.withLock { $0 } == 1)
    }
}
