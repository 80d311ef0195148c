/// The cluster-wide usage-recording switches, stored in Redis (`q:settings:metrics`).
public struct MetricsSettings: Sendable, Hashable, Codable {
    /// When false, usage events are acknowledged but not recorded (`recorded:false`, `recording_disabled`).
    public var enabled: Bool
    /// When false, only request and error counts are recorded (no token classes, no cost).
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
