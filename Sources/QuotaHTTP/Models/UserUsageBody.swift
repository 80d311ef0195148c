public import TokenQuota

/// `GET …/users/{user}/usage`: the user's cycle (totals, per-model totals, reserved, limits, remaining),
/// their rolling windows, their group, and the state of the group and tenant levels.
public struct UserUsageBody: Sendable, Encodable {
    let usage: UserUsage

    /// Wraps a domain usage view.
    public init(_ usage: UserUsage) { self.usage = usage }

    enum CodingKeys: String, CodingKey {
        case user, group, cycle, totals, models, reserved, limits, rate, remaining, windows, levels
    }

    /// Encodes the view.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(usage.user, forKey: .user)
        try c.encode(usage.group, forKey: .group)
        try c.encode(CycleBody(usage.cycle), forKey: .cycle)
        try c.encode(TotalsBody(usage.totals), forKey: .totals)
        try c.encode(usage.models.mapValues(TotalsBody.init), forKey: .models)
        try c.encode(AmountsBody(usage.reserved), forKey: .reserved)
        try c.encode(AmountsBody(usage.limits), forKey: .limits)
        try c.encode(RateBody(usage.rate), forKey: .rate)
        try c.encode(AmountsBody(usage.remaining), forKey: .remaining)
        try c.encode(usage.windows.map { WindowBody(window: $0, rate: usage.rate) }, forKey: .windows)
        try c.encode(usage.levels.map(LevelUsageBody.init), forKey: .levels)
    }
}
