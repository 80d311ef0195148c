/// Reads OpenAI Responses API usage.
///
/// `usage.input_tokens` includes `input_tokens_details.cached_tokens`; `usage.output_tokens` includes
/// `output_tokens_details.reasoning_tokens`. Audio parts, where reported (`input_tokens_details.audio_tokens`,
/// `output_tokens_details.audio_tokens`), become the audio classes, clamped to their totals. In a stream, the terminal event (`response.completed`, or
/// `response.incomplete` / `response.failed`) carries `response.usage`; earlier events carry `null`, and the
/// last usage seen wins.
enum OpenAIResponsesUsageParser {
    /// Maps the events' usage to canonical counts and finds the model.
    static func parse(_ events: [UsageEvent]) throws(UsageParseError) -> (usage: TokenUsage, model: String?) {
        var model: String?
        var last: UsageBlock?
        for event in events {
            let payload = event.payload
            if let usage = try UsageBlock.read(payload["usage"], path: "usage") { last = usage }
            if model == nil { model = payload.nonEmptyString("model") }
            switch payload["response"] {
            case .object(let response)?:
                if let usage = try UsageBlock.read(response["usage"], path: "response.usage") { last = usage }
                if let name = response.nonEmptyString("model") { model = name }
            default:
                continue
            }
        }
        guard let usage = last else {
            throw UsageParseError(.noUsage, "the OpenAI Responses response has no usage (a stream needs its response.completed event)")
        }
        try usage.requireAny(of: ["input_tokens", "output_tokens"], format: .openAIResponses)
        let inputDetails = try usage.block("input_tokens_details")
        let outputDetails = try usage.block("output_tokens_details")
        let input = try usage.count("input_tokens")
        let output = try usage.count("output_tokens")
        let counts = TokenUsage(
            inputTokens: input,
            cachedInputTokens: try inputDetails?.count("cached_tokens") ?? 0,
            outputTokens: output,
            reasoningTokens: try outputDetails?.count("reasoning_tokens") ?? 0,
            audioInputTokens: min(try inputDetails?.count("audio_tokens") ?? 0, input),
            audioOutputTokens: min(try outputDetails?.count("audio_tokens") ?? 0, output)
        )
        return (try UsageArithmetic.validated(counts, format: .openAIResponses), model)
    }
}
