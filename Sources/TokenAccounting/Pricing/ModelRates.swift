/// The price of every token class for one call, after fallbacks and the long-context tier are applied.
///
/// All prices are nano-USD per 1,000,000 tokens (USD × 10⁹ per 1M tokens).
public struct ModelRates: Sendable, Hashable {
    /// Uncached input tokens.
    public var input: Int
    /// Input tokens read from a prompt cache.
    public var cacheRead: Int
    /// Input tokens written to a prompt cache with a 5-minute lifetime.
    public var cacheWrite5m: Int
    /// Input tokens written to a prompt cache with a 1-hour lifetime.
    public var cacheWrite1h: Int
    /// Output tokens other than reasoning tokens.
    public var output: Int
    /// Reasoning (thinking) tokens.
    public var reasoning: Int

    /// Creates a complete set of rates.
    public init(input: Int, cacheRead: Int, cacheWrite5m: Int, cacheWrite1h: Int, output: Int, reasoning: Int) {
        self.input = input
        self.cacheRead = cacheRead
        self.cacheWrite5m = cacheWrite5m
        self.cacheWrite1h = cacheWrite1h
        self.output = output
        self.reasoning = reasoning
    }

    /// Resolves optional prices with quotad's fallbacks: cache read and 5-minute cache write default to the
    /// input price, the 1-hour cache write to the 5-minute one and reasoning to the output price.
    init(input: Int, cacheRead: Int?, cacheWrite5m: Int?, cacheWrite1h: Int?, output: Int, reasoning: Int?) {
        let write5m = cacheWrite5m ?? input
        self.init(
            input: input,
            cacheRead: cacheRead ?? input,
            cacheWrite5m: write5m,
            cacheWrite1h: cacheWrite1h ?? write5m,
            output: output,
            reasoning: reasoning ?? output
        )
    }

    /// The exact cost of `usage` at these rates, in nano-USD, rounded half up to a whole nano-USD.
    ///
    /// The products are summed in `Int128` in units of nano-USD per 1M tokens and divided by 1,000,000 once.
    /// Counts are used as the formula of `docs/usage-semantics` defines them. For an invalid record (see
    /// ``TokenUsage/validate()``) a class count that comes out negative counts as zero, and so does a negative
    /// price, so a cost is never negative; a cost beyond `Int.max` nano-USD is clamped to `Int.max`.
    public func cost(of usage: TokenUsage) -> Int {
        let write1h = max(0, usage.cacheWrite1hTokens)
        let reasoningTokens = max(0, usage.reasoningTokens)
        let terms: [(tokens: Int, price: Int)] = [
            (usage.uncachedInputTokens, input),
            (usage.cachedInputTokens, cacheRead),
            (usage.cacheWriteTokens - write1h, cacheWrite5m),
            (write1h, cacheWrite1h),
            (usage.outputTokens - reasoningTokens, output),
            (reasoningTokens, reasoning),
        ]
        // Each product is below 2^126 and the running sum stays below the limit, so nothing here can overflow.
        let limit = Int128(Int.max) * 1_000_000
        var total: Int128 = 0
        for term in terms where term.tokens > 0 && term.price > 0 {
            total += Int128(term.tokens) * Int128(term.price)
            if total >= limit { return Int.max }
        }
        return Int((total + 500_000) / 1_000_000)
    }
}
