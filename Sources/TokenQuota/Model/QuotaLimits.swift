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

/// A user's (or a tenant default's) quota: limits and billing-cycle schedule.
public struct QuotaConfig: Sendable, Hashable {
    /// The limits per cycle.
    public var limits: QuotaLimits
    /// When cycles start and end.
    public var schedule: CycleSchedule

    /// Creates a quota.
    public init(limits: QuotaLimits = .unlimited, schedule: CycleSchedule = CycleSchedule()) {
        self.limits = limits
        self.schedule = schedule
    }
}

/// Which limit a rejection is about.
public enum LimitKind: String, Sendable, Hashable, CaseIterable {
    /// The token limit.
    case tokens
    /// The cost limit (nano-USD).
    case cost
    /// The request limit.
    case requests
}
