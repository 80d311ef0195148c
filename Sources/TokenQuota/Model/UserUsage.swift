public import TokenAccounting

/// A user's usage in one cycle: totals, per-model breakdown, reservations, limits and what is left.
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
    /// What is left.
    public var remaining: RemainingQuota { RemainingQuota(limits: limits, totals: totals, reserved: reserved) }

    /// Creates a usage view.
    public init(user: String, cycle: BillingCycle, totals: UsageTotals, models: [String: UsageTotals], reserved: ReservedAmounts, limits: QuotaLimits) {
        self.user = user
        self.cycle = cycle
        self.totals = totals
        self.models = models
        self.reserved = reserved
        self.limits = limits
    }
}

/// Every user of a tenant with usage in one cycle, and the tenant's totals.
public struct TenantReport: Sendable, Hashable {
    /// The tenant.
    public var tenant: String
    /// The cycle id the report covers.
    public var cycleID: String
    /// Users sorted by id.
    public var users: [UserUsage]
    /// Sum over all users. Fields that would pass `Int.max` are saturated at `Int.max` (see
    /// ``totalsSaturated``); a report never traps and never fails because of its sums.
    public var totals: UsageTotals
    /// True when some field of ``totals`` overflowed and holds `Int.max` instead of the true sum.
    public var totalsSaturated: Bool
    /// Creates a report.
    public init(tenant: String, cycleID: String, users: [UserUsage], totals: UsageTotals, totalsSaturated: Bool = false) {
        self.tenant = tenant
        self.cycleID = cycleID
        self.users = users
        self.totals = totals
        self.totalsSaturated = totalsSaturated
    }
}
