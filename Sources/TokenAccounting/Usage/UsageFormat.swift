/// The response shapes whose usage the parsers read.
enum UsageFormat: Sendable, Hashable, CaseIterable {
    /// OpenAI Chat Completions (also Azure OpenAI, Mistral and other OpenAI-compatible APIs, and embeddings).
    case openAIChat
    /// OpenAI Responses API.
    case openAIResponses
    /// Anthropic Messages (also Bedrock InvokeModel with a Claude body).
    case anthropicMessages
    /// AWS Bedrock Converse and ConverseStream.
    case bedrockConverse
    /// Google Gemini generateContent and streamGenerateContent.
    case geminiGenerateContent

    /// The provider a record gets when the caller named none and the format was detected.
    var defaultProvider: Provider {
        switch self {
        case .openAIChat, .openAIResponses: .openai
        case .anthropicMessages: .anthropic
        case .bedrockConverse: .awsBedrock
        case .geminiGenerateContent: .googleGemini
        }
    }

    /// A name for error messages.
    var displayName: String {
        switch self {
        case .openAIChat: "OpenAI Chat Completions"
        case .openAIResponses: "OpenAI Responses"
        case .anthropicMessages: "Anthropic Messages"
        case .bedrockConverse: "Bedrock Converse"
        case .geminiGenerateContent: "Gemini generateContent"
        }
    }

    /// The formats a provider can answer in, and the one assumed when the body does not say.
    static func family(of provider: Provider) -> (formats: Set<UsageFormat>, fallback: UsageFormat)? {
        switch provider {
        case .openai, .azureOpenAI, .mistral, .openaiCompatible:
            ([.openAIChat, .openAIResponses], .openAIChat)
        case .anthropic:
            ([.anthropicMessages], .anthropicMessages)
        case .awsBedrock:
            // Converse, InvokeModel with a Claude body, or InvokeModel with an OpenAI-style body (gpt-oss).
            ([.bedrockConverse, .anthropicMessages, .openAIChat], .bedrockConverse)
        case .googleGemini:
            ([.geminiGenerateContent], .geminiGenerateContent)
        default:
            nil
        }
    }

    /// Detects the format from the first event that gives it away.
    static func detect(in events: [UsageEvent]) -> UsageFormat? {
        for event in events {
            if let format = detect(in: event) { return format }
        }
        return nil
    }

    private static let anthropicEventTypes: Set<String> = [
        "message", "message_start", "message_delta", "message_stop",
        "content_block_start", "content_block_delta", "content_block_stop",
    ]
    private static let converseStreamKeys: Set<String> = [
        "messageStart", "contentBlockStart", "contentBlockDelta", "contentBlockStop", "messageStop",
    ]

    private static func detect(in event: UsageEvent) -> UsageFormat? {
        let payload = event.payload
        if payload["usageMetadata"] != nil || payload["candidates"] != nil || payload["modelVersion"] != nil {
            return .geminiGenerateContent
        }
        if let type = event.type {
            if anthropicEventTypes.contains(type) { return .anthropicMessages }
            if type.hasPrefix("response.") { return .openAIResponses }
        }
        if let object = payload["object"]?.stringValue {
            if object == "response" { return .openAIResponses }
            if object.hasPrefix("chat.completion") || object == "text_completion" || object == "list" { return .openAIChat }
        }
        if payload.object("metadata")?["usage"] != nil || payload.object("output")?["message"] != nil
            || payload["stopReason"] != nil || payload.keys.contains(where: converseStreamKeys.contains)
        {
            return .bedrockConverse
        }
        if let usage = payload.object("usage"), let format = detect(usage: usage) {
            return format
        }
        if let response = payload.object("response"), response["usage"] != nil || response["object"]?.stringValue == "response" {
            return .openAIResponses
        }
        if let message = payload.object("message"), message["type"]?.stringValue == "message" {
            return .anthropicMessages
        }
        if payload["choices"] != nil { return .openAIChat }
        return nil
    }

    private static func detect(usage: [String: JSONValue]) -> UsageFormat? {
        let has = { (keys: [String]) in keys.contains { usage[$0] != nil } }
        if has(["prompt_tokens", "completion_tokens", "prompt_tokens_details", "completion_tokens_details"]) { return .openAIChat }
        if has(["inputTokens", "outputTokens", "totalTokens", "cacheReadInputTokens", "cacheWriteInputTokens"]) { return .bedrockConverse }
        if has(["cache_read_input_tokens", "cache_creation_input_tokens", "cache_creation"]) { return .anthropicMessages }
        if has(["input_tokens_details", "output_tokens_details", "total_tokens"]) { return .openAIResponses }
        // Anthropic reports no total; the Responses API always does.
        if has(["input_tokens", "output_tokens"]) { return .anthropicMessages }
        return nil
    }
}
