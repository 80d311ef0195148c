/// Reads Anthropic Messages usage (also AWS Bedrock InvokeModel with a Claude body).
///
/// `usage.input_tokens` EXCLUDES cache reads and writes, so canonical input is
/// `input_tokens + cache_read_input_tokens + cache_creation_input_tokens`. The optional
/// `cache_creation.ephemeral_1h_input_tokens` becomes ``TokenUsage/cacheWrite1hTokens``, clamped to the total
/// write count (the total is trusted). `output_tokens` includes thinking; where the API reports the thinking
/// part (`output_tokens_details.thinking_tokens`) it becomes ``TokenUsage/reasoningTokens``, clamped to the
/// output, else reasoning is 0. `server_tool_use.web_search_requests` becomes
/// ``TokenUsage/webSearchRequests`` (billed per search). In a stream, `message_start.message.usage` gives the first counts and every
/// `message_delta.usage` carries running totals that replace earlier values field by field (never added); fields a
/// delta omits or sends as `null`, such as the cache-creation breakdown, survive from earlier events. A stream
/// with deltas but without its `message_start` lacks the input counts and is refused (`incomplete_stream`),
/// never recorded with 0 input tokens.
enum AnthropicUsageParser {
    /// Maps the events' usage to canonical counts and finds the model.
    static func parse(_ events: [UsageEvent]) throws(UsageParseError) -> (usage: TokenUsage, model: String?) {
        var model: String?
        var fields: [String: JSONValue]?
        var started = false
        var deltas = false
        for event in events {
            let payload = event.payload
            if case .object(let message)? = payload["message"] {
                // message_start
                started = true
                if let name = message.nonEmptyString("model") { model = name }
                if let usage = try UsageBlock.read(message["usage"], path: "message.usage") { fields = usage.fields }
            } else if event.type == "message_delta" {
                deltas = true
                if let usage = try UsageBlock.read(payload["usage"], path: "usage") {
                    var merged = fields ?? [:]
                    for (key, value) in usage.fields where !value.isNull { merged[key] = value }
                    fields = merged
                }
            } else {
                // A complete message (or a bare usage excerpt).
                started = true
                if let name = payload.nonEmptyString("model") { model = name }
                if let usage = try UsageBlock.read(payload["usage"], path: "usage") { fields = usage.fields }
            }
        }
        if deltas && !started {
            throw UsageParseError(
                .incompleteStream,
                "the Anthropic stream has message_delta but no message_start, so its input tokens are missing: send the whole stream, "
                    + "or record the call with \"usage\": \"estimate\""
            )
        }
        guard let fields else {
            throw UsageParseError(.noUsage, "the Anthropic Messages response has no usage")
        }
        let usage = UsageBlock(fields: fields, path: "usage")
        try usage.refuseForeignShape(
            ["prompt_tokens", "completion_tokens"], of: .openAIChat, own: ["input_tokens", "output_tokens"], format: .anthropicMessages)
        try usage.requireAny(
            of: ["input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"],
            format: .anthropicMessages
        )
        let uncached = try usage.count("input_tokens")
        let cacheRead = try usage.count("cache_read_input_tokens")
        let cacheWrite = try usage.count("cache_creation_input_tokens")
        var cacheWrite1h = 0
        if let breakdown = try usage.block("cache_creation") {
            _ = try breakdown.count("ephemeral_5m_input_tokens")
            cacheWrite1h = min(try breakdown.count("ephemeral_1h_input_tokens"), cacheWrite)
        }
        let input = try UsageArithmetic.sum(
            [("usage.input_tokens", uncached), ("usage.cache_read_input_tokens", cacheRead), ("usage.cache_creation_input_tokens", cacheWrite)],
            into: "input_tokens"
        )
        let output = try usage.count("output_tokens")
        let thinking = try usage.block("output_tokens_details")?.count("thinking_tokens") ?? 0
        let counts = TokenUsage(
            inputTokens: input,
            cachedInputTokens: cacheRead,
            cacheWriteTokens: cacheWrite,
            cacheWrite1hTokens: cacheWrite1h,
            outputTokens: output,
            reasoningTokens: min(thinking, output),
            webSearchRequests: try usage.block("server_tool_use")?.count("web_search_requests") ?? 0
        )
        return (try UsageArithmetic.validated(counts, format: .anthropicMessages), model)
    }
}
