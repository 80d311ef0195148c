/// An LLM provider or API family whose responses quotad can read.
///
/// A struct rather than an enum so that new providers do not break callers' `switch` statements.
public struct Provider: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// OpenAI (Chat Completions and Responses).
    public static let openai = Provider(rawValue: "openai")
    /// Azure OpenAI (Chat Completions shape).
    public static let azureOpenAI = Provider(rawValue: "azure_openai")
    /// Mistral (Chat Completions shape).
    public static let mistral = Provider(rawValue: "mistral")
    /// Any other OpenAI-compatible API (Chat Completions shape).
    public static let openaiCompatible = Provider(rawValue: "openai_compatible")
    /// Anthropic Messages.
    public static let anthropic = Provider(rawValue: "anthropic")
    /// AWS Bedrock (Converse, or InvokeModel with a Claude body).
    public static let awsBedrock = Provider(rawValue: "aws_bedrock")
    /// Google Gemini generateContent.
    public static let googleGemini = Provider(rawValue: "google_gemini")

    /// Every provider the parsers know.
    public static let known: [Provider] = [.openai, .azureOpenAI, .mistral, .openaiCompatible, .anthropic, .awsBedrock, .googleGemini]

    public var description: String { rawValue }
}

/// Whether counts came from the provider or from a local estimate.
public enum UsageSource: String, Sendable, Hashable, Codable {
    /// Reported by the provider in its response.
    case reported
    /// Estimated locally (the response carried no usage).
    case estimated
}

/// The usage of one LLM call: who served it, which model, and the canonical counts.
public struct UsageRecord: Sendable, Hashable {
    /// The provider that served the call.
    public var provider: Provider
    /// The model name as the provider reported it (or as the caller gave it), if known.
    public var model: String?
    /// The canonical counts.
    public var usage: TokenUsage
    /// Whether the counts were reported or estimated.
    public var source: UsageSource

    /// Creates a record.
    public init(provider: Provider, model: String?, usage: TokenUsage, source: UsageSource = .reported) {
        self.provider = provider
        self.model = model
        self.usage = usage
        self.source = source
    }
}
