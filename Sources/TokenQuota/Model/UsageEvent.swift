public import Foundation
public import TokenAccounting

/// One LLM call's usage, ready to be recorded exactly once (keyed by ``eventID``).
public struct UsageEvent: Sendable, Hashable {
    /// The model name recorded when no input names one (never priced).
    public static let unknownModel = "unknown"

    /// The tenant (customer app) the user belongs to.
    public var tenant: String
    /// The end user whose quota is charged.
    public var user: String
    /// The idempotency key: recording the same id again changes nothing.
    public var eventID: String
    /// The provider that served the call, if known.
    public var provider: Provider?
    /// The model (as reported); ``unknownModel`` when neither the body nor the caller named one.
    public var model: String
    /// The canonical counts.
    public var usage: TokenUsage
    /// Reported or estimated counts.
    public var source: UsageSource
    /// Cost in nano-USD (0 when unpriced).
    public var costNanoUSD: Int
    /// Whether the model had a price.
    public var priced: Bool
    /// The price-list entry that priced the event (`gpt-4o` for `gpt-4o-2024-08-06`), nil when unpriced.
    public var pricedAs: String? = nil
    /// True for a failed call: it counts as an error, not as a request.
    public var isError: Bool
    /// The reservation this usage settles, if any.
    public var reservationID: String?
    /// The call's latency, if measured.
    public var latencyMilliseconds: Int?
    /// Free-form metadata (conversation id, ...), kept in the audit stream.
    public var metadata: [String: String]
    /// When the call happened; selects the billing cycle.
    public var occurredAt: Date

    /// Creates an event.
    public init(
        tenant: String, user: String, eventID: String, provider: Provider? = nil, model: String,
        usage: TokenUsage, source: UsageSource = .reported, costNanoUSD: Int = 0, priced: Bool = false,
        isError: Bool = false, reservationID: String? = nil, latencyMilliseconds: Int? = nil,
        metadata: [String: String] = [:], occurredAt: Date = Date()
    ) {
        self.tenant = tenant
        self.user = user
        self.eventID = eventID
        self.provider = provider
        self.model = model
        self.usage = usage
        self.source = source
        self.costNanoUSD = costNanoUSD
        self.priced = priced
        self.isError = isError
        self.reservationID = reservationID
        self.latencyMilliseconds = latencyMilliseconds
        self.metadata = metadata
        self.occurredAt = occurredAt
    }

    /// Checks ids, model and counts.
    public func validate() throws(QuotaError) {
        try Identifier.validateTenant(tenant)
        try Identifier.validateName(user, field: "user")
        try Identifier.validateReservationID(eventID, field: "event_id")
        try Identifier.validateModel(model)
        if let reservationID { try Identifier.validateReservationID(reservationID) }
        do { try usage.validate() } catch { throw QuotaError(.invalidArgument, error.message) }
        guard costNanoUSD >= 0 else { throw QuotaError(.invalidArgument, "cost must not be negative") }
    }
}

/// How a record call treats the metrics settings.
public struct RecordOptions: Sendable, Hashable {
    /// When false, only the totals limits read are recorded (input and output tokens, cost, requests,
    /// errors): no per-model breakdown and no detail classes.
    public var tokenStatistics: Bool
    /// Creates options.
    public init(tokenStatistics: Bool = true) { self.tokenStatistics = tokenStatistics }
}

/// The outcome of recording an event.
public struct RecordResult: Sendable, Hashable {
    /// False when the event id had been recorded before (nothing changed).
    public var recorded: Bool
    /// The cycle the event was counted in (for a duplicate: the cycle of the first recording).
    public var cycle: BillingCycle
    /// The user's totals after this call.
    public var totals: UsageTotals
    /// What active reservations hold.
    public var reserved: ReservedAmounts
    /// The user's limits.
    public var limits: QuotaLimits
    /// What is left.
    public var remaining: RemainingQuota
    /// For a duplicate: the cost recorded the first time.
    public var firstCostNanoUSD: Int
    /// The levels that ended over one of their limits with this event (recorded anyway: the call happened).
    /// Empty for a duplicate.
    public var overLimit: [QuotaLevel]
    /// The rolling window with the least room left after this event (nil: no window limits; a duplicate).
    public var rateLimit: RateLimitStatus?

    /// Creates a result.
    public init(
        recorded: Bool, cycle: BillingCycle, totals: UsageTotals, reserved: ReservedAmounts, limits: QuotaLimits, firstCostNanoUSD: Int,
        overLimit: [QuotaLevel] = [], rateLimit: RateLimitStatus? = nil
    ) {
        self.overLimit = overLimit
        self.rateLimit = rateLimit
        self.recorded = recorded
        self.cycle = cycle
        self.totals = totals
        self.reserved = reserved
        self.limits = limits
        self.remaining = RemainingQuota(limits: limits, totals: totals, reserved: reserved)
        self.firstCostNanoUSD = firstCostNanoUSD
    }
}
