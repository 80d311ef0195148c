public import TokenAccounting
public import TokenQuota

/// The answer to one usage event (`POST …/usage`, a batch item, or a commit).
public struct UsageResponse: Sendable, Encodable {
    /// Whether this call changed the totals.
    public var recorded: Bool
    /// Why not: `duplicate`.
    public var reason: String?
    /// The event id.
    public var eventID: String
    /// The user.
    public var user: String
    /// The model recorded.
    public var model: String
    /// The canonical counts.
    public var usage: TokenUsage
    /// `reported` or `estimated`.
    public var source: UsageSource
    /// The cost in nano-USD (for a duplicate: the first recording's).
    public var costNanoUSD: Int
    /// Whether the model had a price.
    public var priced: Bool
    /// The price-list entry that priced it (`gpt-4o` for `gpt-4o-2024-08-06`), nil when unpriced.
    public var pricedAs: String? = nil
    /// The repository's result (totals, limits, levels over a limit, the binding rate window).
    public var result: RecordResult?

    enum CodingKeys: String, CodingKey {
        case recorded, reason, user, model, usage, source, priced, cycle, totals, reserved, limits, remaining
        case overLimit = "over_limit"
        case pricedAs = "priced_as"
        case eventID = "event_id"
        case costNanoUSD = "cost_nano_usd"
    }

    /// Encodes the response; cycle, totals, limits and remaining are `null` when nothing was recorded
    /// because recording is disabled.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(recorded, forKey: .recorded)
        if let reason { try c.encode(reason, forKey: .reason) }
        try c.encode(eventID, forKey: .eventID)
        try c.encode(user, forKey: .user)
        try c.encode(model, forKey: .model)
        try c.encode(usage, forKey: .usage)
        try c.encode(source, forKey: .source)
        try c.encode(costNanoUSD, forKey: .costNanoUSD)
        try c.encode(priced, forKey: .priced)
        try c.encode(pricedAs, forKey: .pricedAs)
        try c.encode(result.map { CycleBody($0.cycle) }, forKey: .cycle)
        try c.encode(result.map { TotalsBody($0.totals) }, forKey: .totals)
        try c.encode(result.map { AmountsBody($0.reserved) }, forKey: .reserved)
        try c.encode(result.map { AmountsBody($0.limits) }, forKey: .limits)
        try c.encode(result.map { AmountsBody($0.remaining) }, forKey: .remaining)
        try c.encode(result.map { $0.overLimit.map(\.rawValue) }, forKey: .overLimit)
    }
}
