import TokenAccounting
public import TokenQuota

/// Usage totals in responses (snake_case, with `total_tokens`).
public struct TotalsBody: Sendable, Encodable {
    let totals: UsageTotals

    /// Wraps domain totals.
    public init(_ totals: UsageTotals) { self.totals = totals }

    enum CodingKeys: String, CodingKey {
        case inputTokens = "input_tokens", cachedInputTokens = "cached_input_tokens"
        case cacheWriteTokens = "cache_write_tokens", cacheWrite1hTokens = "cache_write_1h_tokens"
        case outputTokens = "output_tokens", reasoningTokens = "reasoning_tokens", totalTokens = "total_tokens"
        case audioInputTokens = "audio_input_tokens", audioOutputTokens = "audio_output_tokens"
        case webSearchRequests = "web_search_requests"
        case requests, errors, costNanoUSD = "cost_nano_usd", unpricedRequests = "unpriced_requests"
        case estimatedRequests = "estimated_requests"
    }

    /// Encodes every field.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(totals.usage.inputTokens, forKey: .inputTokens)
        try c.encode(totals.usage.cachedInputTokens, forKey: .cachedInputTokens)
        try c.encode(totals.usage.cacheWriteTokens, forKey: .cacheWriteTokens)
        try c.encode(totals.usage.cacheWrite1hTokens, forKey: .cacheWrite1hTokens)
        try c.encode(totals.usage.outputTokens, forKey: .outputTokens)
        try c.encode(totals.usage.reasoningTokens, forKey: .reasoningTokens)
        try c.encode(totals.usage.audioInputTokens, forKey: .audioInputTokens)
        try c.encode(totals.usage.audioOutputTokens, forKey: .audioOutputTokens)
        try c.encode(totals.usage.webSearchRequests, forKey: .webSearchRequests)
        try c.encode(totals.tokens, forKey: .totalTokens)
        try c.encode(totals.requests, forKey: .requests)
        try c.encode(totals.errors, forKey: .errors)
        try c.encode(totals.costNanoUSD, forKey: .costNanoUSD)
        try c.encode(totals.unpricedRequests, forKey: .unpricedRequests)
        try c.encode(totals.estimatedRequests, forKey: .estimatedRequests)
    }
}
