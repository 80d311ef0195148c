/// The prices a model charges for a whole call whose input exceeds a threshold (for example above 200k
/// input tokens for Claude Sonnet 4.5 and Gemini 2.5 Pro, above 272k for GPT-5.4).
///
/// Prices are nano-USD per 1,000,000 tokens. Absent prices fall back within the tier exactly as in
/// ``ModelPrice``: cache read and 5-minute cache write to the tier's input price, 1-hour cache write to the
/// tier's 5-minute price, reasoning to the tier's output price. Audio prices do not fall back: a tier
/// without them cannot price audio tokens (the base audio price would under-bill a long prompt). Web
/// searches are priced per request whatever the prompt length, so the tier uses the base entry's price.
public struct LongContextPrice: Sendable, Hashable {
    /// The tier applies when a call's `inputTokens` is strictly greater than this.
    public var thresholdInputTokens: Int
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
    /// Audio input tokens; `nil` when the tier has no audio input price.
    public var audioInput: Int?
    /// Audio output tokens; `nil` when the tier has no audio output price.
    public var audioOutput: Int?

    /// Creates a tier.
    public init(
        thresholdInputTokens: Int,
        input: Int,
        cacheRead: Int? = nil,
        cacheWrite5m: Int? = nil,
        cacheWrite1h: Int? = nil,
        output: Int,
        reasoning: Int? = nil,
        audioInput: Int? = nil,
        audioOutput: Int? = nil
    ) {
        self.thresholdInputTokens = thresholdInputTokens
        self.input = input
        self.cacheRead = cacheRead
        self.cacheWrite5m = cacheWrite5m
        self.cacheWrite1h = cacheWrite1h
        self.output = output
        self.reasoning = reasoning
        self.audioInput = audioInput
        self.audioOutput = audioOutput
    }

    /// The tier's token prices with the fallbacks applied (no web-search price: see
    /// ``ModelPrice/rates(forInputTokens:)`` for the one a call gets).
    public var rates: ModelRates {
        rates(baseWebSearchPer1k: nil)
    }

    /// The tier's prices with the fallbacks applied and the base entry's web-search price.
    func rates(baseWebSearchPer1k: Int?) -> ModelRates {
        ModelRates(
            input: input, cacheRead: cacheRead, cacheWrite5m: cacheWrite5m, cacheWrite1h: cacheWrite1h,
            output: output, reasoning: reasoning, audioInput: audioInput, audioOutput: audioOutput,
            webSearchPer1k: baseWebSearchPer1k
        )
    }
}
