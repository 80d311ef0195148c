/// Reads Google Gemini generateContent usage (also streamGenerateContent, as SSE or as a JSON array of chunks).
///
/// `usageMetadata.promptTokenCount` includes `cachedContentTokenCount`; canonical input adds
/// `toolUsePromptTokenCount`. `candidatesTokenCount` EXCLUDES `thoughtsTokenCount`, so canonical output is their
/// sum and the thoughts are the reasoning part. The `AUDIO` entries of the per-modality breakdowns
/// (`promptTokensDetails`, `toolUsePromptTokensDetails`; `candidatesTokensDetails`) become the audio classes,
/// each clamped to the count it breaks down; audio in the prompt may have been read from a cache, which the
/// breakdown does not say (see ``ModelRates/cost(of:)`` for how that is billed). In a stream, the last `usageMetadata` wins; the model is the last
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
            reasoningTokens: thoughts,
            audioInputTokens: try audioInput(usage, prompt: prompt, toolUsePrompt: toolUsePrompt),
            audioOutputTokens: min(try usage.modalityCount("candidatesTokensDetails", modality: "AUDIO"), candidates)
        )
        return (try UsageArithmetic.validated(counts, format: .geminiGenerateContent), model)
    }

    /// The AUDIO entries of `promptTokensDetails` and `toolUsePromptTokensDetails`, each clamped to its total.
    private static func audioInput(_ usage: UsageBlock, prompt: Int, toolUsePrompt: Int) throws(UsageParseError) -> Int {
        let promptAudio = min(try usage.modalityCount("promptTokensDetails", modality: "AUDIO"), prompt)
        let toolUseAudio = min(try usage.modalityCount("toolUsePromptTokensDetails", modality: "AUDIO"), toolUsePrompt)
        return promptAudio + toolUseAudio
    }
}
