import Testing
import TokenAccounting

@Suite struct TokenUsageTests {
    @Test func validationRejectsInconsistentCounts() {
        #expect(throws: UsageValidationError.self) { try TokenUsage(inputTokens: -1).validate() }
        #expect(throws: UsageValidationError.self) { try TokenUsage(inputTokens: 5, cachedInputTokens: 4, cacheWriteTokens: 2).validate() }
        #expect(throws: UsageValidationError.self) { try TokenUsage(outputTokens: 3, reasoningTokens: 4).validate() }
        #expect(throws: UsageValidationError.self) { try TokenUsage(inputTokens: TokenUsage.maximumCount + 1).validate() }
        #expect(throws: Never.self) { try TokenUsage(inputTokens: 10, cachedInputTokens: 4, cacheWriteTokens: 6, outputTokens: 3, reasoningTokens: 3).validate() }
    }
}
