public import TokenQuota

/// `GET …/users/{user}/usage` and one user of a report.
public struct UserUsageBody: Sendable, Encodable {
    let usage: UserUsage

    /// Wraps a domain usage view.
    public init(_ usage: UserUsage) { self.usage = usage }

    enum CodingKeys: String, CodingKey {
        case user, cycle, totals, models, reserved, limits, remaining
    }

    /// Encodes user, cycle, totals, per-model totals, reserved, limits and remaining.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(usage.user, forKey: .user)
        try c.encode(CycleBody(usage.cycle), forKey: .cycle)
        try c.encode(TotalsBody(usage.totals), forKey: .totals)
        try c.encode(usage.models.mapValues(TotalsBody.init), forKey: .models)
        try c.encode(AmountsBody(usage.reserved), forKey: .reserved)
        try c.encode(AmountsBody(usage.limits), forKey: .limits)
        try c.encode(AmountsBody(usage.remaining), forKey: .remaining)
    }
}
