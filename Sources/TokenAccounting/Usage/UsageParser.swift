/// Reads the token usage a provider reported in a response body and maps it to canonical ``TokenUsage``.
///
/// The body may be a JSON response, a raw server-sent event stream (`text/event-stream`, `\n` or `\r\n` line
/// ends, optional `data: [DONE]` terminator), or a JSON array of stream events (Gemini's REST streaming, or a
/// recorded stream whose elements are event data objects or `{"event": ..., "data": ...}` pairs). The shape is
/// detected automatically. The mapping to canonical classes follows `docs/usage-semantics.md`:
///
/// | format | input | cached | cache write | output | reasoning |
/// |---|---|---|---|---|---|
/// | OpenAI Chat (Azure, Mistral, compatible) | `prompt_tokens` | `prompt_tokens_details.cached_tokens` | 0 | `completion_tokens` | `completion_tokens_details.reasoning_tokens` |
/// | OpenAI Responses | `input_tokens` | `input_tokens_details.cached_tokens` | 0 | `output_tokens` | `output_tokens_details.reasoning_tokens` |
/// | Anthropic Messages | `input_tokens + cache_read_input_tokens + cache_creation_input_tokens` | `cache_read_input_tokens` | `cache_creation_input_tokens` | `output_tokens` | 0 |
/// | Bedrock Converse | `inputTokens + cacheReadInputTokens + cacheWriteInputTokens` | `cacheReadInputTokens` | `cacheWriteInputTokens` | `outputTokens` | 0 |
/// | Gemini | `promptTokenCount + toolUsePromptTokenCount` | `cachedContentTokenCount` | 0 | `candidatesTokenCount + thoughtsTokenCount` | `thoughtsTokenCount` |
///
/// Parts reported beside the five classes:
///
/// | format | audio input | audio output | reasoning / web searches |
/// |---|---|---|---|
/// | OpenAI Chat | `prompt_tokens_details.audio_tokens` | `completion_tokens_details.audio_tokens` | |
/// | OpenAI Responses | `input_tokens_details.audio_tokens` | `output_tokens_details.audio_tokens` | |
/// | Anthropic Messages | | | reasoning `output_tokens_details.thinking_tokens`; `server_tool_use.web_search_requests` |
/// | Gemini | `AUDIO` in `promptTokensDetails` + `toolUsePromptTokensDetails` | `AUDIO` in `candidatesTokensDetails` | |
///
/// Each part is clamped to the total it is part of (the totals are trusted).
///
/// Parsing never traps on hostile input: bodies are bounded by ``maximumBodySize``, nesting by
/// ``maximumNestingDepth``, every count by ``TokenUsage/maximumCount``, and sums are overflow-checked.
public enum UsageParser {
    /// The largest body accepted, in bytes (16 MiB).
    public static let maximumBodySize = 16 * 1024 * 1024

    /// How deeply JSON arrays and objects may nest; deeper bodies are rejected as invalid JSON.
    public static let maximumNestingDepth = 64

    /// Parses the usage in a response body.
    ///
    /// - Parameters:
    ///   - body: The response body as UTF-8 bytes: JSON, a server-sent event stream, or a JSON array of events.
    ///   - provider: The provider that served the call. It selects the parser family (`azure_openai`, `mistral`
    ///     and `openai_compatible` read OpenAI shapes; `openai` may be Chat Completions or Responses;
    ///     `aws_bedrock` may be Converse or a Claude body). When `nil`, the provider is detected from the body.
    ///   - model: The model the caller knows the call used. When given, it wins over the model named in the body.
    /// - Returns: A record with `source` ``UsageSource/reported``, the given or detected provider, and the model.
    /// - Throws: ``UsageParseError`` naming what is wrong and, where one is at fault, the field.
    public static func parse(_ body: [UInt8], provider: Provider? = nil, model: String? = nil) throws(UsageParseError) -> UsageRecord {
        var family: (formats: Set<UsageFormat>, fallback: UsageFormat)?
        if let provider {
            guard let known = UsageFormat.family(of: provider) else {
                throw UsageParseError(.unknownProvider, "the provider \"\(provider.rawValue)\" is not supported")
            }
            family = known
        }

        let events = try UsageEventReader.events(from: body)
        let detected = UsageFormat.detect(in: events)

        let format: UsageFormat
        if let family {
            if let detected, family.formats.contains(detected) {
                format = detected
            } else {
                format = family.fallback
            }
        } else {
            guard let detected else {
                throw UsageParseError(.unknownProvider, "cannot tell which provider produced the body; name the provider")
            }
            format = detected
        }

        let parsed: (usage: TokenUsage, model: String?)
        do {
            parsed = try parse(events, as: format)
        } catch {
            // The body looks like a format the named provider does not answer in: say so.
            if error.code == .noUsage, let provider, let detected, detected != format {
                throw UsageParseError(
                    .noUsage,
                    "\(error.message); the body looks like \(detected.displayName), which \(provider.rawValue) does not produce"
                )
            }
            throw error
        }

        let callerModel = model.flatMap { $0.isEmpty ? nil : $0 }
        return UsageRecord(
            provider: provider ?? format.defaultProvider,
            model: callerModel ?? parsed.model,
            usage: parsed.usage,
            source: .reported
        )
    }

    private static func parse(_ events: [UsageEvent], as format: UsageFormat) throws(UsageParseError) -> (usage: TokenUsage, model: String?) {
        switch format {
        case .openAIChat: try OpenAIChatUsageParser.parse(events)
        case .openAIResponses: try OpenAIResponsesUsageParser.parse(events)
        case .anthropicMessages: try AnthropicUsageParser.parse(events)
        case .bedrockConverse: try BedrockConverseUsageParser.parse(events)
        case .geminiGenerateContent: try GeminiUsageParser.parse(events)
        }
    }

    /// Parses the usage in a response body given as text.
    ///
    /// - Parameters:
    ///   - body: The response body: JSON, a server-sent event stream, or a JSON array of events.
    ///   - provider: The provider that served the call, or `nil` to detect it from the body.
    ///   - model: The model the caller knows the call used; wins over the body's.
    /// - Returns: A record with `source` ``UsageSource/reported``.
    /// - Throws: ``UsageParseError`` naming what is wrong.
    public static func parse(_ body: String, provider: Provider? = nil, model: String? = nil) throws(UsageParseError) -> UsageRecord {
        try parse(Array(body.utf8), provider: provider, model: model)
    }
}
