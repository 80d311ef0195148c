/// What one model charges per token class, as exact integers.
///
/// Every token price is **nano-USD per 1,000,000 tokens** (`2_500_000_000` is $2.50 per 1M tokens); the web
/// search price is **nano-USD per 1,000 requests** (`10_000_000_000` is $10 per 1,000 searches). Optional
/// prices fall back as follows, and ``rates(forInputTokens:)`` applies the fallbacks:
/// - ``cacheRead`` absent: cached input tokens are billed at the ``input`` price (no cache discount);
/// - ``cacheWrite5m`` absent: cache writes are billed at the ``input`` price;
/// - ``cacheWrite1h`` absent: 1-hour cache writes are billed at the 5-minute write price;
/// - ``reasoning`` absent: reasoning tokens are billed at the ``output`` price;
/// - ``audioInput``, ``audioOutput``, ``webSearchPer1k`` absent: **no fallback**. A call with audio tokens or
///   web searches is priced only when the model has a price for them; otherwise the catalog reports it as
///   unpriced rather than billing audio as text (audio costs 3-16 times more) or searches as free.
///
/// When ``longContext`` is set and a call's `inputTokens` exceeds its threshold, the tier's prices apply to
/// the whole call.
public struct ModelPrice: Sendable, Hashable {
    /// Uncached text input tokens.
    public var input: Int
    /// Cache reads; `nil` bills them at ``input``.
    public var cacheRead: Int?
    /// 5-minute cache writes; `nil` bills them at ``input``.
    public var cacheWrite5m: Int?
    /// 1-hour cache writes; `nil` bills them at the 5-minute price.
    public var cacheWrite1h: Int?
    /// Output tokens other than reasoning and audio tokens.
    public var output: Int
    /// Reasoning tokens; `nil` bills them at ``output``.
    public var reasoning: Int?
    /// Audio input tokens; `nil` when the model has no audio input price.
    public var audioInput: Int?
    /// Audio output tokens; `nil` when the model has no audio output price.
    public var audioOutput: Int?
    /// Server-side web searches, nano-USD per 1,000 requests; `nil` when the model has no such price.
    public var webSearchPer1k: Int?
    /// An optional tier for long prompts that re-prices the whole call.
    public var longContext: LongContextPrice?

    /// Creates a price; token amounts are nano-USD per 1M tokens, `webSearchPer1k` nano-USD per 1,000 requests.
    public init(
        input: Int,
        cacheRead: Int? = nil,
        cacheWrite5m: Int? = nil,
        cacheWrite1h: Int? = nil,
        output: Int,
        reasoning: Int? = nil,
        audioInput: Int? = nil,
        audioOutput: Int? = nil,
        webSearchPer1k: Int? = nil,
        longContext: LongContextPrice? = nil
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
        self.longContext = longContext
    }

    /// The prices that apply to a call with `inputTokens` input tokens: the long-context tier's when the
    /// count exceeds its threshold, the base prices otherwise, with fallbacks applied.
    public func rates(forInputTokens inputTokens: Int) -> ModelRates {
        if let longContext, inputTokens > longContext.thresholdInputTokens {
            return longContext.rates(baseWebSearchPer1k: webSearchPer1k)
        }
        return ModelRates(
            input: input, cacheRead: cacheRead, cacheWrite5m: cacheWrite5m, cacheWrite1h: cacheWrite1h,
            output: output, reasoning: reasoning, audioInput: audioInput, audioOutput: audioOutput,
            webSearchPer1k: webSearchPer1k
        )
    }

    /// The exact cost of one call in nano-USD (10⁻⁹ USD), or `nil` when the call used a class this model has
    /// no price for (audio tokens or web searches, see the type's documentation).
    public func pricedCost(of usage: TokenUsage) -> Int? {
        rates(forInputTokens: usage.inputTokens).pricedCost(of: usage)
    }

    /// The cost of one call in nano-USD (10⁻⁹ USD), rounded half up.
    ///
    /// cost = uncached text × input + cached × cacheRead + (cacheWrite − cacheWrite1h) × cacheWrite5m
    ///      + cacheWrite1h × cacheWrite1h + text output × output + reasoning × reasoning
    ///      + audio input × audioInput + audio output × audioOutput + web searches × webSearchPer1k / 1,000,
    /// summed in `Int128` and divided by 1,000,000 once. Classes without a price are estimated (see
    /// ``ModelRates/cost(of:)``): use ``pricedCost(of:)`` to bill.
    public func cost(of usage: TokenUsage) -> Int {
        rates(forInputTokens: usage.inputTokens).cost(of: usage)
    }

    /// Checks that every price is within `0...PriceAmount.maximum` and the tier threshold is not negative.
    func validate(model: String) throws(PricingError) {
        var prices: [(String, Int?)] = [
            ("input", input), ("cache_read", cacheRead), ("cache_write_5m", cacheWrite5m),
            ("cache_write_1h", cacheWrite1h), ("output", output), ("reasoning", reasoning),
            ("audio_input", audioInput), ("audio_output", audioOutput), ("web_search_per_1k", webSearchPer1k),
        ]
        if let tier = longContext {
            guard tier.thresholdInputTokens >= 0 else {
                throw .forField(
                    .invalidDocument, model: model, field: "long_context.above_input_tokens",
                    "'long_context.above_input_tokens' must not be negative (got \(tier.thresholdInputTokens))"
                )
            }
            prices += [
                ("long_context.input", tier.input), ("long_context.cache_read", tier.cacheRead),
                ("long_context.cache_write_5m", tier.cacheWrite5m), ("long_context.cache_write_1h", tier.cacheWrite1h),
                ("long_context.output", tier.output), ("long_context.reasoning", tier.reasoning),
                ("long_context.audio_input", tier.audioInput), ("long_context.audio_output", tier.audioOutput),
            ]
        }
        for case let (field, price?) in prices where !(0...PriceAmount.maximum).contains(price) {
            let unit = field == "web_search_per_1k" ? "1,000 requests" : "1M tokens"
            throw .forField(
                .invalidPrice, model: model, field: field,
                "price '\(field)' must be between 0 and \(PriceAmount.maximum) nano-USD per \(unit) (got \(price))"
            )
        }
    }
}
