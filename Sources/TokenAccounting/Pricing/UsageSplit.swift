/// A usage record cut into disjoint billing classes: every input and output token lands in exactly one.
///
/// Audio input is taken out of the uncached input first, then out of cache reads, then out of 5-minute and
/// 1-hour cache writes; audio output out of the non-reasoning output first, then out of reasoning. Negative
/// counts of an invalid record count as zero, and the audio counts are clamped to what is there to take.
struct UsageSplit: Sendable, Hashable {
    var uncachedInput: Int
    var cachedInput: Int
    var cacheWrite5m: Int
    var cacheWrite1h: Int
    var textOutput: Int
    var reasoning: Int
    var audioInput: Int
    var audioOutput: Int
    var webSearches: Int

    init(_ usage: TokenUsage) {
        let write1h = max(0, usage.cacheWrite1hTokens)
        var inputClasses = [
            max(0, usage.uncachedInputTokens),
            max(0, usage.cachedInputTokens),
            max(0, usage.cacheWriteTokens - write1h),
            write1h,
        ]
        audioInput = Self.take(max(0, usage.audioInputTokens), from: &inputClasses)
        uncachedInput = inputClasses[0]
        cachedInput = inputClasses[1]
        cacheWrite5m = inputClasses[2]
        cacheWrite1h = inputClasses[3]

        let reasoningTokens = max(0, usage.reasoningTokens)
        var outputClasses = [max(0, usage.outputTokens - reasoningTokens), reasoningTokens]
        audioOutput = Self.take(max(0, usage.audioOutputTokens), from: &outputClasses)
        textOutput = outputClasses[0]
        reasoning = outputClasses[1]
        webSearches = max(0, usage.webSearchRequests)
    }

    /// Takes up to `amount` from `classes` in order and returns how much was taken.
    private static func take(_ amount: Int, from classes: inout [Int]) -> Int {
        var remaining = amount
        for index in classes.indices where remaining > 0 {
            let part = min(remaining, classes[index])
            classes[index] -= part
            remaining -= part
        }
        return amount - remaining
    }
}
