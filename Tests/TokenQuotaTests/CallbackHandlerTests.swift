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

    @Test(.timeLimit(.minutes(1))) func compositeIsolatesFailingAndSlowHandlers() async throws {
        struct Failing: LLMCallbackHandler {
            func onLLMEnd(_ call: LLMCallEnd) async throws { throw CancellationError() }
        }
        final class Slow: LLMCallbackHandler {
            /// Set only if the handler's hour-long work ran to its end.
            let finished = Mutex(false)
            func onLLMEnd(_ call: LLMCallEnd) async throws {
                try await Task.sleep(for: .seconds(3600))
                finished.withLock { $0 = true }
            }
        }
        final class Counting: LLMCallbackHandler {
            let ends = Mutex(0)
            func onLLMEnd(_ call: LLMCallEnd) async throws { ends.withLock { $0 += 1 } }
        }
        let slow = Slow()
        let counting = Counting()
        let composite = CompositeCallbackHandler([Failing(), slow, counting], timeout: .milliseconds(200), logger: Logger(label: "test"))
        let start = LLMCallStart(callID: "z", tenant: "acme", user: "u", model: "gpt-4o")
        // The composite returns without waiting for the slow handler (however slow this machine is), and the
        // failing one does not keep the others from running.
        try await composite.onLLMEnd(LLMCallEnd(start: start, output: .none))
        #expect(slow.finished.withLock { $0 } == false)
        #expect(counting.ends.withLock { $0 } == 1)
    }

    /// An OpenAI stream without `include_usage` carries no usage: the call is charged with the start
    /// estimate (marked estimated), not thrown out and then counted as a free error.
    @Test func responseWithoutUsageIsRecordedWithTheStartEstimate() async throws {
        try await withRepository { repository, _ in
            try await repository.setQuota(tenant: "acme", user: "s", QuotaConfig(limits: QuotaLimits(tokens: 10_000)), now: Date())
            let handler = RedisUsageCallbackHandler(repository: repository, logger: Logger(label: "test"))
            let start = LLMCallStart(callID: "stream-1", tenant: "acme", user: "s", provider: .openai, model: "gpt-4o",
                                     estimatedInputTokens: 1000, maxOutputTokens: 200)
            try await handler.onLLMStart(start)
            let stream = Array("""
            data: {"id":"x","object":"chat.completion.chunk","model":"gpt-4o","choices":[{"index":0,"delta":{"content":"Hi"}}]}

            data: {"id":"x","object":"chat.completion.chunk","model":"gpt-4o","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}

            data: [DONE]

            """.utf8)
            try await handler.onLLMEnd(LLMCallEnd(start: start, output: .responseBody(stream)))
            let usage = try await repository.usage(tenant: "acme", user: "s", cycleID: nil, now: Date())
            #expect(usage.totals.requests == 1)
            #expect(usage.totals.errors == 0)
            #expect(usage.totals.estimatedRequests == 1)
            #expect(usage.totals.usage == TokenUsage(inputTokens: 1000, outputTokens: 200))
            // gpt-4o: 1000 × $2.50 + 200 × $10 per 1M = $0.0045
            #expect(usage.totals.costNanoUSD == 4_500_000)
            #expect(usage.reserved == ReservedAmounts())
        }
    }

    /// A handler that ignores cancellation cannot hold the composite past its timeout.
    @Test func compositeTimeoutBoundsAHandlerThatIgnoresCancellation() async throws {
        /// Opens when the test says so, or after 60 s at the latest; waiting ignores cancellation.
        final class Gate: Sendable {
            let waiters = Mutex<(open: Bool, continuations: [CheckedContinuation<Void, Never>])>((false, []))
            func wait() async {
                await withCheckedContinuation { continuation in
                    let resumeNow = waiters.withLock { state in
                        if state.open { return true }
                        state.continuations.append(continuation)
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
            func open() {
                let pending = waiters.withLock { state in
                    state.open = true
                    defer { state.continuations = [] }
                    return state.continuations
                }
                for continuation in pending { continuation.resume() }
            }
        }
        struct Stuck: LLMCallbackHandler {
            let gate: Gate
            func onLLMEnd(_ call: LLMCallEnd) async throws { await gate.wait() }
        }
        final class Counting: LLMCallbackHandler {
            let ends = Mutex(0)
            func onLLMEnd(_ call: LLMCallEnd) async throws { ends.withLock { $0 += 1 } }
        }
        let gate = Gate()
        DispatchQueue.global().asyncAfter(deadline: .now() + 60) { gate.open() }
        let counting = Counting()
        let composite = CompositeCallbackHandler([Stuck(gate: gate), counting], timeout: .milliseconds(200), logger: Logger(label: "test"))
        let start = LLMCallStart(callID: "stuck", tenant: "acme", user: "u", model: "gpt-4o")
        try await composite.onLLMEnd(LLMCallEnd(start: start, output: .none))
        // A hang test, not a speed test: without the bound, onLLMEnd would have waited for the gate, which only
        // the 60 s timer opens before this line.
        let openedBeforeReturn = gate.waiters.withLock { $0.open }
        gate.open()
        #expect(openedBeforeReturn == false)
        #expect(counting.ends.withLock { $0 } == 1)
    }
}
