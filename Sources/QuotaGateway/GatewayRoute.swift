import TokenAccounting

/// The API dialect of a route: how its callers authenticate, name their user and expect errors.
enum GatewayDialect: Sendable {
    /// OpenAI: `Authorization: Bearer`, the body's `user`, `{"error":{"message","type","param","code"}}`.
    case openai
    /// Anthropic: `x-api-key`, the body's `metadata.user_id`, `{"type":"error","error":{"type","message"}}`.
    case anthropic

    /// The provider whose prices and tokenizer apply.
    var provider: Provider {
        switch self {
        case .openai: .openai
        case .anthropic: .anthropic
        }
    }
}

/// One provider operation the gateway meters.
enum GatewayRoute: Sendable {
    case chatCompletions
    case responses
    case embeddings
    case messages

    var dialect: GatewayDialect {
        switch self {
        case .chatCompletions, .responses, .embeddings: .openai
        case .messages: .anthropic
        }
    }

    /// The path appended to the provider's base URL.
    var upstreamPath: String {
        switch self {
        case .chatCompletions: "/chat/completions"
        case .responses: "/responses"
        case .embeddings: "/embeddings"
        case .messages: "/v1/messages"
        }
    }

    /// Whether the call produces output tokens (embeddings do not: their hold is the input alone).
    var hasOutput: Bool { self != .embeddings }
}
