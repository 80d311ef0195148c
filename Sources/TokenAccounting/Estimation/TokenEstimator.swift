/// Estimates token counts locally, for calls whose response reports no usage and for pre-call reservations.
///
/// The heuristic divides the text's length by a per-provider bytes-per-token ratio and rounds up. Length is
/// measured in UTF-8 bytes: for ASCII text that equals the character count (English averages about 4 characters
/// per token with OpenAI's tokenizers), while non-Latin scripts, which tokenizers split more finely, weigh more
/// per character (a CJK character is 3 bytes, close to one token). Each message adds ``tokensPerMessage`` of
/// framing, and a non-empty conversation adds ``replyPrimingTokens`` for the assistant reply header, following
/// OpenAI's published counting recipe. Every result is at most ``TokenUsage/maximumCount``.
public struct TokenEstimator: Sendable {
    /// The default ratios: OpenAI-family tokenizers ~4 bytes per token, Gemini ~4, Anthropic (also on Bedrock)
    /// and Mistral ~3.5.
    public static let defaultBytesPerToken: [Provider: Double] = [
        .openai: 4.0, .azureOpenAI: 4.0, .openaiCompatible: 4.0,
        .mistral: 3.5, .anthropic: 3.5, .awsBedrock: 3.5, .googleGemini: 4.0,
    ]

    /// The per-provider UTF-8 bytes per token.
    public var bytesPerTokenByProvider: [Provider: Double]
    /// The ratio for providers not in ``bytesPerTokenByProvider`` (deliberately on the high-estimate side).
    public var fallbackBytesPerToken: Double
    /// Framing tokens added for each message (role markers and separators).
    public var tokensPerMessage: Int
    /// Tokens added once per non-empty conversation for the reply header.
    public var replyPrimingTokens: Int

    /// Creates an estimator.
    ///
    /// Ratios that are not finite or below 0.5 are replaced by the fallback (or 3.5); negative overheads count as 0.
    ///
    /// - Parameters:
    ///   - bytesPerToken: The per-provider UTF-8 bytes per token.
    ///   - fallbackBytesPerToken: The ratio for other providers.
    ///   - tokensPerMessage: Framing tokens per message.
    ///   - replyPrimingTokens: Tokens once per conversation for the reply header.
    public init(
        bytesPerToken: [Provider: Double] = TokenEstimator.defaultBytesPerToken,
        fallbackBytesPerToken: Double = 3.5,
        tokensPerMessage: Int = 4,
        replyPrimingTokens: Int = 3
    ) {
        let fallback = Self.isUsableRatio(fallbackBytesPerToken) ? fallbackBytesPerToken : 3.5
        self.fallbackBytesPerToken = fallback
        self.bytesPerTokenByProvider = bytesPerToken.mapValues { Self.isUsableRatio($0) ? $0 : fallback }
        self.tokensPerMessage = max(0, tokensPerMessage)
        self.replyPrimingTokens = max(0, replyPrimingTokens)
    }

    /// The UTF-8 bytes per token assumed for `provider`.
    public func bytesPerToken(for provider: Provider) -> Double {
        let ratio = bytesPerTokenByProvider[provider] ?? fallbackBytesPerToken
        return Self.isUsableRatio(ratio) ? ratio : 3.5
    }

    /// Estimates the tokens of a bare text: its UTF-8 length divided by the provider's ratio, rounded up.
    ///
    /// - Returns: 0 for empty text; otherwise at least 1 and at most ``TokenUsage/maximumCount``.
    public func estimateTokens(text: String, provider: Provider) -> Int {
        let bytes = text.utf8.count
        guard bytes > 0 else { return 0 }
        let tokens = (Double(bytes) / bytesPerToken(for: provider)).rounded(.up)
        return tokens >= Double(TokenUsage.maximumCount) ? TokenUsage.maximumCount : max(1, Int(tokens))
    }

    /// Estimates the input tokens of a chat request: every message's role, name and content, its images at
    /// ``ChatMessage/imageTokenEstimate`` each, plus framing.
    ///
    /// - Returns: 0 for no messages; otherwise at most ``TokenUsage/maximumCount``.
    public func estimateInputTokens(messages: [ChatMessage], provider: Provider) -> Int {
        guard !messages.isEmpty else { return 0 }
        var total = Self.clamped(replyPrimingTokens)
        for message in messages {
            total = Self.saturatingAdd(total, Self.clamped(tokensPerMessage))
            total = Self.saturatingAdd(total, estimateTokens(text: message.role, provider: provider))
            total = Self.saturatingAdd(total, estimateTokens(text: message.content, provider: provider))
            if let name = message.name { total = Self.saturatingAdd(total, estimateTokens(text: name, provider: provider)) }
            if message.imageCount > 0 {
                let images = message.imageCount >= TokenUsage.maximumCount / ChatMessage.imageTokenEstimate
                    ? TokenUsage.maximumCount : message.imageCount * ChatMessage.imageTokenEstimate
                total = Self.saturatingAdd(total, images)
            }
        }
        return total
    }

    /// Estimates a whole call, for a response that reported no usage or for a reservation before the call.
    ///
    /// - Parameters:
    ///   - messages: The request's messages.
    ///   - provider: The provider serving the call.
    ///   - model: The model, used to look up the calibration factor.
    ///   - maxOutputTokens: The request's output limit, taken as the (worst-case) output count; 0 when `nil`.
    ///   - calibrator: Learned per-model corrections applied to the input estimate, if any.
    /// - Returns: A record with `source` ``UsageSource/estimated``; no cache or reasoning classes.
    public func estimate(
        messages: [ChatMessage],
        provider: Provider,
        model: String?,
        maxOutputTokens: Int? = nil,
        calibrator: UsageCalibrator? = nil
    ) -> UsageRecord {
        var input = estimateInputTokens(messages: messages, provider: provider)
        if let calibrator, let model { input = calibrator.calibrated(input, model: model) }
        let usage = TokenUsage(inputTokens: input, outputTokens: Self.clamped(maxOutputTokens ?? 0))
        return UsageRecord(provider: provider, model: model, usage: usage, source: .estimated)
    }

    // MARK: Helpers

    private static func isUsableRatio(_ ratio: Double) -> Bool {
        ratio.isFinite && ratio >= 0.5
    }

    private static func clamped(_ count: Int) -> Int {
        min(max(0, count), TokenUsage.maximumCount)
    }

    private static func saturatingAdd(_ lhs: Int, _ rhs: Int) -> Int {
        let (sum, overflow) = lhs.addingReportingOverflow(rhs)
        return overflow ? TokenUsage.maximumCount : min(sum, TokenUsage.maximumCount)
    }
}
