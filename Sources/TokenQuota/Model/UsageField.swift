public import TokenAccounting

/// The one vocabulary of stored counts: the short names quotad keeps totals under — cycle-hash fields,
/// the positions of report and day rows, the count fields of event-stream entries — with the API name each
/// stands for. The Lua scripts spell the same names (`common.lua`'s `totals_fields`, `record_rows.lua`'s
/// `row_fields`, `record_events.lua`'s `event_fields`); `UsageFieldTests` checks that they agree.
public enum UsageField: String, CaseIterable, Sendable {
    case inputTokens = "in"
    case cachedInputTokens = "cin"
    case cacheWriteTokens = "cw"
    case cacheWrite1hTokens = "cw1"
    case outputTokens = "out"
    case reasoningTokens = "rsn"
    case audioInputTokens = "ain"
    case audioOutputTokens = "aout"
    case webSearchRequests = "wsr"
    case requests = "req"
    case errors = "err"
    case costNanoUSD = "cost"
    case unpricedRequests = "unp"
    case estimatedRequests = "est"
    /// How many recorded events ended over a limit (cycle hashes only).
    case overLimit = "ovr"

    /// The name the HTTP API and the reports use for the count.
    public var apiName: String {
        switch self {
        case .inputTokens: "input_tokens"
        case .cachedInputTokens: "cached_input_tokens"
        case .cacheWriteTokens: "cache_write_tokens"
        case .cacheWrite1hTokens: "cache_write_1h_tokens"
        case .outputTokens: "output_tokens"
        case .reasoningTokens: "reasoning_tokens"
        case .audioInputTokens: "audio_input_tokens"
        case .audioOutputTokens: "audio_output_tokens"
        case .webSearchRequests: "web_search_requests"
        case .requests: "requests"
        case .errors: "errors"
        case .costNanoUSD: "cost_nano_usd"
        case .unpricedRequests: "unpriced_requests"
        case .estimatedRequests: "estimated_requests"
        case .overLimit: "over_limit"
        }
    }

    /// The counts of a report or day row, in their stored order.
    public static let rowFields: [UsageField] = [
        .inputTokens, .cachedInputTokens, .cacheWriteTokens, .cacheWrite1hTokens, .outputTokens, .reasoningTokens,
        .audioInputTokens, .audioOutputTokens, .webSearchRequests, .requests, .errors, .costNanoUSD, .unpricedRequests,
        .estimatedRequests,
    ]

    /// The totals the record script returns, in this order: the row counts and the over-limit count.
    public static let totalsFields: [UsageField] = rowFields + [.overLimit]

    /// The counts an event-stream entry carries (absent: 0): the token classes and the cost.
    public static let eventFields: [UsageField] = [
        .inputTokens, .cachedInputTokens, .cacheWriteTokens, .cacheWrite1hTokens, .outputTokens, .reasoningTokens,
        .audioInputTokens, .audioOutputTokens, .webSearchRequests, .costNanoUSD,
    ]

    /// The token classes of counts named by these fields (absent: 0).
    public static func usage(_ count: (UsageField) -> Int) -> TokenUsage {
        TokenUsage(
            inputTokens: count(.inputTokens), cachedInputTokens: count(.cachedInputTokens), cacheWriteTokens: count(.cacheWriteTokens),
            cacheWrite1hTokens: count(.cacheWrite1hTokens), outputTokens: count(.outputTokens), reasoningTokens: count(.reasoningTokens),
            audioInputTokens: count(.audioInputTokens), audioOutputTokens: count(.audioOutputTokens),
            webSearchRequests: count(.webSearchRequests)
        )
    }

    /// The totals of counts named by these fields (absent: 0).
    public static func totals(_ count: (UsageField) -> Int) -> UsageTotals {
        UsageTotals(
            usage: usage(count), requests: count(.requests), errors: count(.errors), costNanoUSD: count(.costNanoUSD),
            unpricedRequests: count(.unpricedRequests), estimatedRequests: count(.estimatedRequests)
        )
    }
}
