/// How the gateway reaches the providers: where each one is and the credential quotad sends it.
public struct GatewaySettings: Sendable {
    /// One provider's upstream.
    public struct Upstream: Sendable {
        /// The base URL, as that provider's SDK spells its own (`https://api.openai.com/v1`,
        /// `https://api.anthropic.com`): the path after the gateway's provider prefix is appended to it.
        public var baseURL: String
        /// The credential sent upstream (never the caller's key). Nil: calls go upstream without one.
        public var apiKey: String?

        /// Creates an upstream.
        public init(baseURL: String, apiKey: String? = nil) {
            self.baseURL = baseURL
            self.apiKey = apiKey
        }
    }

    /// Where the gateway's routes are mounted (`/gateway`).
    public var prefix: String
    /// OpenAI's API (chat completions, responses, embeddings, models).
    public var openai: Upstream
    /// Anthropic's API (messages).
    public var anthropic: Upstream
    /// The longest an upstream call may take, stream included; also the longest wait between two chunks.
    public var upstreamTimeout: Duration
    /// The largest upstream answer that is read whole (non-streaming answers); larger ones are a 502.
    public var maximumAnswerBytes: Int

    /// Creates settings (the providers' public endpoints, 10-minute calls, answers up to 64 MiB).
    public init(
        prefix: String = "/gateway", openai: Upstream = Upstream(baseURL: "https://api.openai.com/v1"),
        anthropic: Upstream = Upstream(baseURL: "https://api.anthropic.com"), upstreamTimeout: Duration = .seconds(600),
        maximumAnswerBytes: Int = 64 * 1_048_576
    ) {
        self.prefix = prefix
        self.openai = openai
        self.anthropic = anthropic
        self.upstreamTimeout = upstreamTimeout
        self.maximumAnswerBytes = maximumAnswerBytes
    }

    func upstream(for dialect: GatewayDialect) -> Upstream {
        switch dialect {
        case .openai: openai
        case .anthropic: anthropic
        }
    }
}
