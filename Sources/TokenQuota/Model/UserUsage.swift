public import Foundation
public import TokenAccounting

/// A user's usage in one cycle: totals, per-model breakdown, reservations, limits and what is left, plus
/// the state of the other levels that apply to the user (their group and the tenant).
public struct UserUsage: Sendable, Hashable {
    /// The user.
    public var user: String
    /// The cycle.
    public var cycle: BillingCycle
    /// Totals over all models.
    public var totals: UsageTotals
    /// Totals per model name.
    public var models: [String: UsageTotals]
    /// Held by active reservations (only meaningful for the current cycle).
    public var reserved: ReservedAmounts
    /// The user's effective limits.
    public var limits: QuotaLimits
    /// The user's effective rolling-window limits.
    public var rate: RateLimits
    /// The user's rolling windows that have a limit.
    public var windows: [WindowUsage]
    /// The user's group, if any.
    public var group: String?
    /// The group's and the tenant's state (their current cycles), strictest first is not implied.
    public var levels: [LevelUsage]
    /// What is left.
    public var remaining: RemainingQuota { RemainingQuota(limits: limits, totals: totals, reserved: reserved) }

    /// Creates a usage view.
    public init(
        user: String, cycle: BillingCycle, totals: UsageTotals, models: [String: UsageTotals], reserved: ReservedAmounts, limits: QuotaLimits,
        rate: RateLimits = .none, windows: [WindowUsage] = [], group: String? = nil, levels: [LevelUsage] = []
    ) {
        self.user = user
        self.cycle = cycle
        self.totals = totals
        self.models = models
        self.reserved = reserved
        self.limits = limits
        self.rate = rate
        self.windows = windows
        self.group = group
        self.levels = levels
    }
}

/// One row of a tenant report: a user's or a group's totals within the tenant's cycle.
public struct ReportRow: Sendable, Hashable {
    /// The user or group id.
    public var id: String
    /// Totals within the report's cycle.
    public var totals: UsageTotals

    /// Creates a row.
    public init(id: String, totals: UsageTotals) {
        self.id = id
        self.totals = totals
    }
}

/// A tenant's cycle: every user and group with usage in it, the per-model breakdown and the tenant's
/// totals. Rows are counted within the tenant's cycle (whatever the users' own anchors), so the user rows
/// (and the model rows) add up to the totals.
public struct TenantReport: Sendable, Hashable {
    /// The tenant.
    public var tenant: String
    /// The tenant's cycle the report covers.
    public var cycle: BillingCycle
    /// The cycle id.
    public var cycleID: String { cycle.id }
    /// Users sorted by id.
    public var users: [ReportRow]
    /// Groups sorted by id (a group's row counts its members' usage while they were in it).
    public var groups: [ReportRow]
    /// Totals per model (empty while token statistics are off).
    public var models: [String: UsageTotals]
    /// The tenant's totals.
    public var totals: UsageTotals
    /// The explicit usage resets of the cycle, oldest first.
    public var resets: [UsageReset]

    /// Creates a report.
    public init(
        tenant: String, cycle: BillingCycle, users: [ReportRow], groups: [ReportRow] = [], models: [String: UsageTotals] = [:], totals: UsageTotals,
        resets: [UsageReset] = []
    ) {
        self.tenant = tenant
        self.cycle = cycle
        self.users = users
        self.groups = groups
        self.models = models
        self.totals = totals
        self.resets = resets
    }
}

/// An explicit reset of a user's running cycle (`POST …/users/{user}/usage/reset`): who, when, and what the
/// user's cycle totals held (the group's and tenant's totals and the report rows keep it).
public struct UsageReset: Sendable, Hashable {
    /// The user whose cycle was reset.
    public var user: String
    /// When (Redis's clock).
    public var at: Date
    /// Who: `admin` or `key:<key id>`.
    public var by: String
    /// Input plus output tokens the user's cycle held.
    public var tokens: Int
    /// The cost the user's cycle held, nano-USD.
    public var costNanoUSD: Int

    /// Creates a reset record.
    public init(user: String, at: Date, by: String, tokens: Int, costNanoUSD: Int) {
        self.user = user
        self.at = at
        self.by = by
        self.tokens = tokens
        self.costNanoUSD = costNanoUSD
    }
}
