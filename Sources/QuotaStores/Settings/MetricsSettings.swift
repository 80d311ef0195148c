/// The cluster-wide usage-recording switches, stored in Redis (`q:settings:metrics`).
public struct MetricsSettings: Sendable, Hashable, Codable {
    /// When false, statistics stop (per-model breakdowns, detail classes, token metrics) as with
    /// `tokenStatistics` off; usage still counts toward every limit.
    public var enabled: Bool
    /// When false, no per-model breakdown, detail classes or token metrics; the totals limits read
    /// (input and output tokens, cost, requests) keep counting.
    public var tokenStatistics: Bool

    /// Creates settings; both switches default to on.
    public init(enabled: Bool = true, tokenStatistics: Bool = true) {
        self.enabled = enabled
        self.tokenStatistics = tokenStatistics
    }

    enum CodingKeys: String, CodingKey {
        case enabled
        case tokenStatistics = "token_statistics"
    }
}
