public import TokenAccounting

/// What one rolling window holds now (estimates of held reservations included).
public struct WindowUsage: Sendable, Hashable {
    /// The window's length in seconds (60, 3600 or 86400).
    public var seconds: Int
    /// Tokens in the window.
    public var tokens: Int
    /// Requests in the window.
    public var requests: Int

    /// Creates a window state.
    public init(seconds: Int, tokens: Int, requests: Int) {
        self.seconds = seconds
        self.tokens = tokens
        self.requests = requests
    }
}

/// One level's state in a cycle: used, reserved, limits and windows.
public struct LevelUsage: Sendable, Hashable {
    /// The level.
    public var level: QuotaLevel
    /// The group or user id (the tenant id for the tenant level).
    public var id: String
    /// The level's cycle.
    public var cycle: BillingCycle
    /// Totals in the cycle.
    public var totals: UsageTotals
    /// Totals per model (user and tenant levels; empty for groups).
    public var models: [String: UsageTotals]
    /// Held by active reservations (current cycle only).
    public var reserved: ReservedAmounts
    /// The cycle limits.
    public var limits: QuotaLimits
    /// The rolling-window limits.
    public var rate: RateLimits
    /// The windows that have a limit, by length.
    public var windows: [WindowUsage]
    /// How many recorded events left this level over a limit in the cycle.
    public var overLimitEvents: Int

    /// What is left of the cycle limits.
    public var remaining: RemainingQuota { RemainingQuota(limits: limits, totals: totals, reserved: reserved) }

    /// Creates a level view.
    public init(
        level: QuotaLevel, id: String, cycle: BillingCycle, totals: UsageTotals, models: [String: UsageTotals] = [:],
        reserved: ReservedAmounts = ReservedAmounts(), limits: QuotaLimits = .unlimited, rate: RateLimits = .none,
        windows: [WindowUsage] = [], overLimitEvents: Int = 0
    ) {
        self.level = level
        self.id = id
        self.cycle = cycle
        self.totals = totals
        self.models = models
        self.reserved = reserved
        self.limits = limits
        self.rate = rate
        self.windows = windows
        self.overLimitEvents = overLimitEvents
    }
}
