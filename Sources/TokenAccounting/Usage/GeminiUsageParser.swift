/// Reads Google Gemini generateContent usage (also streamGenerateContent, as SSE or as a JSON array of chunks).
///
/// `usageMetadata.promptTokenCount` includes `cachedContentTokenCount`; canonical input adds
/// `toolUsePromptTokenCount`. `candidatesTokenCount` EXCLUDES `thoughtsTokenCount`, so canonical output is their
/// sum and the thoughts are the reasoning part. In a stream, the last `usageMetadata` wins; the model is the last
/// `modelVersion` seen.
enum GeminiUsageParser {
    /// Maps the events' usage to canonical counts and finds the model.
    static func parse(_ events: [UsageEvent]) throws(UsageParseError) -> (usage: TokenUsage, model: String?) {
        var model: String?
        var last: UsageBlock?
        for event in events {
            if let name = event.payload.nonEmptyString("modelVersion") { model = name }
            if let usage = try UsageBlock.read(event.payload["usageMetadata"], path: "usageMetadata") { last = usage }
        }
        guard let usage = last else {
            throw UsageParseError(.noUsage, "the Gemini response has no usageMetadata")
        }
        try usage.requireAny(
            of: ["promptTokenCount", "candidatesTokenCount", "thoughtsTokenCount", "toolUsePromptTokenCount", "cachedContentTokenCount"],
            format: .geminiGenerateContent
        )
        let prompt = try usage.count("promptTokenCount")
        let toolUsePrompt = try usage.count("toolUsePromptTokenCount")
        let candidates = try usage.count("candidatesTokenCount")
        let thoughts = try usage.count("thoughtsTokenCount")
        let counts = TokenUsage(
            inputTokens: try UsageArithmetic.sum(
                [("usageMetadata.promptTokenCount", prompt), ("usageMetadata.toolUsePromptTokenCount", toolUsePrompt)],
                into: "input_tokens"
            ),
            cachedInputTokens: try usage.count("cachedContentTokenCount"),
            outputTokens: try UsageArithmetic.sum(
                [("usageMetadata.candidatesTokenCount", candidates), ("usageMetadata.thoughtsTokenCount", thoughts)],
                into: "output_tokens"
            ),
            reasoningTokens: thoughts
        )
        return (try UsageArithmetic.validated(counts, format: .geminiGenerateContent), model)
    }
}
