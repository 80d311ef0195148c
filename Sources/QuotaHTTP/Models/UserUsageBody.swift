public import Foundation
public import TokenQuota

/// `GET …/users/{user}/usage`: the user's cycle (totals, per-model totals, reserved, limits, remaining),
/// their rolling windows, their group, the state of the group and tenant levels, and the `forecast` of the
/// user's cycle (and of each level's) at `now` (null until enough of the cycle elapsed, see `UsageForecast`).
public struct UserUsageBody: Sendable, Encodable {
    let usage: UserUsage
    let now: Date

    /// Wraps a domain usage view; forecasts are made at `now`.
    public init(_ usage: UserUsage, now: Date = Date()) {
        self.usage = usage
        self.now = now
    }

    enum CodingKeys: String, CodingKey {
        case user, group, cycle, totals, models, reserved, limits, rate, remaining, windows, levels, forecast
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
        try c.encode(usage.levels.map { LevelUsageBody($0, now: now) }, forKey: .levels)
        try c.encode(usage.forecast(at: now).map(ForecastBody.init), forKey: .forecast)
    }
}
