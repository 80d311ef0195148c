/// Reads OpenAI Chat Completions usage (also Azure OpenAI, Mistral, other OpenAI-compatible APIs, embeddings).
///
/// `usage.prompt_tokens` already includes `prompt_tokens_details.cached_tokens`, and `usage.completion_tokens`
/// already includes `completion_tokens_details.reasoning_tokens`. The audio parts of both
/// (`prompt_tokens_details.audio_tokens`, `completion_tokens_details.audio_tokens`, reported by the audio and
/// realtime models) become the audio classes, clamped to their totals (the totals are trusted). In a stream,
/// usage arrives only on the final
/// chunk (when `stream_options.include_usage` is set; other chunks omit it or send `null`): the last usage wins.
enum OpenAIChatUsageParser {
    /// Maps the events' usage to canonical counts and finds the model.
    static func parse(_ events: [UsageEvent]) throws(UsageParseError) -> (usage: TokenUsage, model: String?) {
        var model: String?
        var last: UsageBlock?
        for event in events {
            if model == nil { model = event.payload.nonEmptyString("model") }
            if let usage = try UsageBlock.read(event.payload["usage"], path: "usage") { last = usage }
        }
        guard let usage = last else {
            throw UsageParseError(
                .noUsage,
                "the OpenAI Chat Completions response has no usage (streams need stream_options.include_usage)"
            )
        }
        try usage.requireAny(of: ["prompt_tokens", "completion_tokens"], format: .openAIChat)
        let promptDetails = try usage.block("prompt_tokens_details")
        let completionDetails = try usage.block("completion_tokens_details")
        let input = try usage.count("prompt_tokens")
        let output = try usage.count("completion_tokens")
        let counts = TokenUsage(
            inputTokens: input,
            cachedInputTokens: try promptDetails?.count("cached_tokens") ?? 0,
            outputTokens: output,
            reasoningTokens: try completionDetails?.count("reasoning_tokens") ?? 0,
            audioInputTokens: min(try promptDetails?.count("audio_tokens") ?? 0, input),
            audioOutputTokens: min(try completionDetails?.count("audio_tokens") ?? 0, output)
        )
        return (try UsageArithmetic.validated(counts, format: .openAIChat), model)
    }
}
