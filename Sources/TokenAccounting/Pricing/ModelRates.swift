/// The price of every token class for one call, after fallbacks and the long-context tier are applied.
///
/// Token prices are nano-USD per 1,000,000 tokens (USD × 10⁹ per 1M tokens); the web-search price is
/// nano-USD per 1,000 requests. The audio and web-search prices have no fallback: `nil` means the model has
/// no price for that class, and a call that uses it cannot be priced (see ``pricedCost(of:)``).
public struct ModelRates: Sendable, Hashable {
    /// Uncached text input tokens.
    public var input: Int
    /// Input tokens read from a prompt cache.
    public var cacheRead: Int
    /// Input tokens written to a prompt cache with a 5-minute lifetime.
    public var cacheWrite5m: Int
    /// Input tokens written to a prompt cache with a 1-hour lifetime.
    public var cacheWrite1h: Int
    /// Output tokens other than reasoning and audio tokens.
    public var output: Int
    /// Reasoning (thinking) tokens.
    public var reasoning: Int
    /// Audio input tokens; `nil` when the model has no audio input price.
    public var audioInput: Int?
    /// Audio output tokens; `nil` when the model has no audio output price.
    public var audioOutput: Int?
    /// Server-side web search requests, in nano-USD per 1,000 requests; `nil` when the model has no such price.
    public var webSearchPer1k: Int?

    /// Creates a complete set of rates.
    public init(
        input: Int, cacheRead: Int, cacheWrite5m: Int, cacheWrite1h: Int, output: Int, reasoning: Int,
        audioInput: Int? = nil, audioOutput: Int? = nil, webSearchPer1k: Int? = nil
    ) {
        self.input = input
        self.cacheRead = cacheRead
        self.cacheWrite5m = cacheWrite5m
        self.cacheWrite1h = cacheWrite1h
        self.output = output
        self.reasoning = reasoning
        self.audioInput = audioInput
        self.audioOutput = audioOutput
        self.webSearchPer1k = webSearchPer1k
    }

    /// Resolves optional prices with quotad's fallbacks: cache read and 5-minute cache write default to the
    /// input price, the 1-hour cache write to the 5-minute one and reasoning to the output price. Audio and
    /// web-search prices have no fallback.
    init(
        input: Int, cacheRead: Int?, cacheWrite5m: Int?, cacheWrite1h: Int?, output: Int, reasoning: Int?,
        audioInput: Int?, audioOutput: Int?, webSearchPer1k: Int?
    ) {
        let write5m = cacheWrite5m ?? input
        self.init(
            input: input,
            cacheRead: cacheRead ?? input,
            cacheWrite5m: write5m,
            cacheWrite1h: cacheWrite1h ?? write5m,
            output: output,
            reasoning: reasoning ?? output,
            audioInput: audioInput,
            audioOutput: audioOutput,
            webSearchPer1k: webSearchPer1k
        )
    }

    /// The exact cost of `usage` in nano-USD when every class the call used has a price here, else `nil`.
    ///
    /// A call is priced only if every nonzero class has a price: audio tokens need ``audioInput`` /
    /// ``audioOutput``, web searches need ``webSearchPer1k``. An unpriceable call is never billed at a
    /// cheaper class's price. See ``cost(of:)`` for how the classes are counted.
    public func pricedCost(of usage: TokenUsage) -> Int? {
        let split = UsageSplit(usage)
        if split.audioInput > 0 && audioInput == nil { return nil }
        if split.audioOutput > 0 && audioOutput == nil { return nil }
        if split.webSearches > 0 && webSearchPer1k == nil { return nil }
        return cost(of: split)
    }

    /// The cost of `usage` in nano-USD, rounded half up to a whole nano-USD.
    ///
    /// Audio input tokens are taken out of the uncached input first, then out of cache reads, then out of
    /// cache writes, so no token is billed twice; audio output tokens come out of the non-reasoning output
    /// first, then out of reasoning. Audio is billed at the audio prices, web searches per request.
    ///
    /// This is an estimate for models without an audio or web-search price: such audio tokens are billed at
    /// the text ``input`` / ``output`` price and such web searches at 0. Bill calls with ``pricedCost(of:)``
    /// (or ``PriceCatalog/cost(model:provider:usage:)``), which refuses to price them instead.
    ///
    /// The products are summed in `Int128` in units of nano-USD per 1M tokens and divided by 1,000,000 once.
    /// For an invalid record (see ``TokenUsage/validate()``) a class count that comes out negative counts as
    /// zero, and so does a negative price, so a cost is never negative; a cost beyond `Int.max` nano-USD is
    /// clamped to `Int.max`.
    public func cost(of usage: TokenUsage) -> Int {
        cost(of: UsageSplit(usage))
    }

    private func cost(of split: UsageSplit) -> Int {
        // (count, price, scale): web searches are priced per 1,000 requests, so their product is scaled by
        // 1,000 to reach the unit of the token terms, nano-USD per 1M.
        let terms: [(count: Int, price: Int, scale: Int128)] = [
            (split.uncachedInput, input, 1),
            (split.cachedInput, cacheRead, 1),
            (split.cacheWrite5m, cacheWrite5m, 1),
            (split.cacheWrite1h, cacheWrite1h, 1),
            (split.textOutput, output, 1),
            (split.reasoning, reasoning, 1),
            (split.audioInput, audioInput ?? input, 1),
            (split.audioOutput, audioOutput ?? output, 1),
            (split.webSearches, webSearchPer1k ?? 0, 1000),
        ]
        // Each product of two Ints is below 2^126, and is only scaled or added while the running sum is below
        // the limit (below 2^83), so nothing here can overflow `Int128`.
        let limit = Int128(Int.max) * 1_000_000
        var total: Int128 = 0
        for term in terms where term.count > 0 && term.price > 0 {
            let product = Int128(term.count) * Int128(term.price)
            if product >= limit { return Int.max }
            total += product * term.scale
            if total >= limit { return Int.max }
        }
        return Int((total + 500_000) / 1_000_000)
    }
}
