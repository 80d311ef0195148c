public import TokenAccounting

/// Per-cycle limits of one user; `nil` means unlimited.
public struct QuotaLimits: Sendable, Hashable {
    /// Input plus output tokens per cycle.
    public var tokens: Int?
    /// Cost per cycle in nano-USD.
    public var costNanoUSD: Int?
    /// Requests per cycle.
    public var requests: Int?

    /// Creates limits.
    public init(tokens: Int? = nil, costNanoUSD: Int? = nil, requests: Int? = nil) {
        self.tokens = tokens
        self.costNanoUSD = costNanoUSD
        self.requests = requests
    }

    /// No limits at all.
    public static let unlimited = QuotaLimits()

    /// Whether any limit is set.
    public var isLimited: Bool { tokens != nil || costNanoUSD != nil || requests != nil }
}

/// A quota (of a user, group, tenant, or the tenant's per-user default): cycle limits, rolling-window
/// limits, the billing-cycle schedule, and for a user the group they belong to.
public struct QuotaConfig: Sendable, Hashable {
    /// The limits per cycle.
    public var limits: QuotaLimits
    /// The rolling-window limits.
    public var rate: RateLimits
    /// When cycles start and end.
    public var schedule: CycleSchedule
    /// The user's group (user quotas only; `nil` = none).
    public var group: String?
    /// Alert thresholds, in percent (1...100, at most 10, ascending): when recorded usage reaches one of them
    /// for a cycle limit (tokens, cost, requests), one `quota.threshold` alert is raised for that level,
    /// limit, threshold and cycle.
    public var alertThresholds: [Int]

    /// Creates a quota.
    public init(
        limits: QuotaLimits = .unlimited, rate: RateLimits = .none, schedule: CycleSchedule = CycleSchedule(), group: String? = nil,
        alertThresholds: [Int] = []
    ) {
        self.limits = limits
        self.rate = rate
        self.schedule = schedule
        self.group = group
        self.alertThresholds = alertThresholds
    }
}

/// Which limit a rejection or an over-limit flag is about.
public enum LimitKind: String, Sendable, Hashable, CaseIterable {
    /// Tokens per cycle.
    case tokens
    /// Cost per cycle (nano-USD).
    case cost
    /// Requests per cycle.
    case requests
    /// Tokens per rolling minute.
    case tokensPerMinute = "tokens_per_minute"
    /// Requests per rolling minute.
    case requestsPerMinute = "requests_per_minute"
    /// Tokens per rolling hour.
    case tokensPerHour = "tokens_per_hour"
    /// Requests per rolling hour.
    case requestsPerHour = "requests_per_hour"
    /// Tokens per rolling day.
    case tokensPerDay = "tokens_per_day"
    /// Requests per rolling day.
    case requestsPerDay = "requests_per_day"

    /// The window's length in seconds for rolling-window kinds, nil for cycle kinds.
    public var windowSeconds: Int? {
        switch self {
        case .tokens, .cost, .requests: nil
        case .tokensPerMinute, .requestsPerMinute: 60
        case .tokensPerHour, .requestsPerHour: 3600
        case .tokensPerDay, .requestsPerDay: 86400
        }
    }
}
