/// The canonical token counts of one LLM call.
///
/// The five classes follow `docs/usage-semantics`: `cachedInputTokens` and `cacheWriteTokens` are parts of
/// `inputTokens`, and `reasoningTokens` is part of `outputTokens`. All counts are non-negative.
public struct TokenUsage: Sendable, Hashable, Codable {
    /// Every prompt token the provider processed, including cache reads and cache writes.
    public var inputTokens: Int
    /// The part of `inputTokens` read from a prompt cache.
    public var cachedInputTokens: Int
    /// The part of `inputTokens` written to a prompt cache.
    public var cacheWriteTokens: Int
    /// The part of `cacheWriteTokens` written with a 1-hour lifetime, when the provider reports the split.
    /// The rest of `cacheWriteTokens` is priced as 5-minute writes.
    public var cacheWrite1hTokens: Int
    /// Every generated token, including reasoning tokens.
    public var outputTokens: Int
    /// The part of `outputTokens` spent on reasoning.
    public var reasoningTokens: Int
    /// The part of `inputTokens` that was audio (priced at the model's audio input rate).
    public var audioInputTokens: Int
    /// The part of `outputTokens` that was audio (priced at the model's audio output rate).
    public var audioOutputTokens: Int
    /// Server-side web search requests the provider ran for this call (priced per request).
    public var webSearchRequests: Int

    /// Creates a usage record; missing classes are zero.
    public init(
        inputTokens: Int = 0,
        cachedInputTokens: Int = 0,
        cacheWriteTokens: Int = 0,
        cacheWrite1hTokens: Int = 0,
        outputTokens: Int = 0,
        reasoningTokens: Int = 0,
        audioInputTokens: Int = 0,
        audioOutputTokens: Int = 0,
        webSearchRequests: Int = 0
    ) {
        self.inputTokens = inputTokens
        self.cachedInputTokens = cachedInputTokens
        self.cacheWriteTokens = cacheWriteTokens
        self.cacheWrite1hTokens = cacheWrite1hTokens
        self.outputTokens = outputTokens
        self.reasoningTokens = reasoningTokens
        self.audioInputTokens = audioInputTokens
        self.audioOutputTokens = audioOutputTokens
        self.webSearchRequests = webSearchRequests
    }

    /// No tokens at all.
    public static let zero = TokenUsage()

    /// Input tokens neither read from nor written to a cache.
    public var uncachedInputTokens: Int { inputTokens - cachedInputTokens - cacheWriteTokens }

    /// Input plus output tokens: what a token limit counts.
    public var totalTokens: Int { inputTokens + outputTokens }

    /// Checks the invariants of the canonical record.
    ///
    /// - Throws: ``UsageValidationError`` naming the first violated rule.
    public func validate() throws(UsageValidationError) {
        let fields: [(String, Int)] = [
            ("input_tokens", inputTokens), ("cached_input_tokens", cachedInputTokens),
            ("cache_write_tokens", cacheWriteTokens), ("cache_write_1h_tokens", cacheWrite1hTokens),
            ("output_tokens", outputTokens), ("reasoning_tokens", reasoningTokens),
            ("audio_input_tokens", audioInputTokens), ("audio_output_tokens", audioOutputTokens),
            ("web_search_requests", webSearchRequests),
        ]
        for (name, value) in fields where value < 0 {
            throw UsageValidationError(message: "\(name) must not be negative (got \(value))")
        }
        for (name, value) in fields where value > TokenUsage.maximumCount {
            throw UsageValidationError(message: "\(name) is implausibly large (got \(value), at most \(TokenUsage.maximumCount))")
        }
        if cachedInputTokens + cacheWriteTokens > inputTokens {
            throw UsageValidationError(
                message: "cached_input_tokens + cache_write_tokens (\(cachedInputTokens + cacheWriteTokens)) exceed input_tokens (\(inputTokens))"
            )
        }
        if cacheWrite1hTokens > cacheWriteTokens {
            throw UsageValidationError(message: "cache_write_1h_tokens (\(cacheWrite1hTokens)) exceed cache_write_tokens (\(cacheWriteTokens))")
        }
        if reasoningTokens > outputTokens {
            throw UsageValidationError(message: "reasoning_tokens (\(reasoningTokens)) exceed output_tokens (\(outputTokens))")
        }
        if audioInputTokens > inputTokens {
            throw UsageValidationError(message: "audio_input_tokens (\(audioInputTokens)) exceed input_tokens (\(inputTokens))")
        }
        if audioOutputTokens > outputTokens {
            throw UsageValidationError(message: "audio_output_tokens (\(audioOutputTokens)) exceed output_tokens (\(outputTokens))")
        }
    }

    /// The largest count accepted for one class of one call (10 billion tokens): larger values are absurd
    /// input, and the bound keeps every sum and cost product far from integer overflow.
    public static let maximumCount = 10_000_000_000

    /// Adds two records class by class.
    public static func + (lhs: TokenUsage, rhs: TokenUsage) -> TokenUsage {
        TokenUsage(
            inputTokens: lhs.inputTokens + rhs.inputTokens,
            cachedInputTokens: lhs.cachedInputTokens + rhs.cachedInputTokens,
            cacheWriteTokens: lhs.cacheWriteTokens + rhs.cacheWriteTokens,
            cacheWrite1hTokens: lhs.cacheWrite1hTokens + rhs.cacheWrite1hTokens,
            outputTokens: lhs.outputTokens + rhs.outputTokens,
            reasoningTokens: lhs.reasoningTokens + rhs.reasoningTokens,
            audioInputTokens: lhs.audioInputTokens + rhs.audioInputTokens,
            audioOutputTokens: lhs.audioOutputTokens + rhs.audioOutputTokens,
            webSearchRequests: lhs.webSearchRequests + rhs.webSearchRequests
        )
    }

    enum CodingKeys: String, CodingKey {
        case inputTokens = "input_tokens"
        case cachedInputTokens = "cached_input_tokens"
        case cacheWriteTokens = "cache_write_tokens"
        case cacheWrite1hTokens = "cache_write_1h_tokens"
        case outputTokens = "output_tokens"
        case reasoningTokens = "reasoning_tokens"
        case audioInputTokens = "audio_input_tokens"
        case audioOutputTokens = "audio_output_tokens"
        case webSearchRequests = "web_search_requests"
    }

    /// Decodes the snake_case canonical form; absent classes are zero.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.inputTokens = try c.decodeIfPresent(Int.self, forKey: .inputTokens) ?? 0
        self.cachedInputTokens = try c.decodeIfPresent(Int.self, forKey: .cachedInputTokens) ?? 0
        self.cacheWriteTokens = try c.decodeIfPresent(Int.self, forKey: .cacheWriteTokens) ?? 0
        self.cacheWrite1hTokens = try c.decodeIfPresent(Int.self, forKey: .cacheWrite1hTokens) ?? 0
        self.outputTokens = try c.decodeIfPresent(Int.self, forKey: .outputTokens) ?? 0
        self.reasoningTokens = try c.decodeIfPresent(Int.self, forKey: .reasoningTokens) ?? 0
        self.audioInputTokens = try c.decodeIfPresent(Int.self, forKey: .audioInputTokens) ?? 0
        self.audioOutputTokens = try c.decodeIfPresent(Int.self, forKey: .audioOutputTokens) ?? 0
        self.webSearchRequests = try c.decodeIfPresent(Int.self, forKey: .webSearchRequests) ?? 0
    }
}

/// A canonical usage record that breaks one of its invariants (negative, absurd or inconsistent counts).
public struct UsageValidationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong, naming the field.
    public var message: String
    /// Creates the error.
    public init(message: String) { self.message = message }
    public var description: String { message }
}
