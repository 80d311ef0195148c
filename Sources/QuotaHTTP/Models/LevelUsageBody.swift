public import Foundation
public import TokenQuota

/// One level's state (`GET …/usage` of the tenant or a group, and the `levels` of a user's usage): used,
/// reserved, limits, remaining, each rolling window with its limits and what is left, and the cycle's
/// `forecast` at `now` (null until enough of the cycle elapsed, see `UsageForecast`).
public struct LevelUsageBody: Sendable, Encodable {
    let usage: LevelUsage
    let forecast: UsageForecast?

    /// Wraps a domain view; the forecast is made at `now`.
    public init(_ usage: LevelUsage, now: Date = Date()) {
        self.usage = usage
        self.forecast = usage.forecast(at: now)
    }

    enum CodingKeys: String, CodingKey {
        case level, id, cycle, totals, models, reserved, limits, rate, remaining, windows, forecast
        case overLimitEvents = "over_limit_events"
    }

    /// Encodes the level.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(usage.level.rawValue, forKey: .level)
        try c.encode(usage.id, forKey: .id)
        try c.encode(CycleBody(usage.cycle), forKey: .cycle)
        try c.encode(TotalsBody(usage.totals), forKey: .totals)
        if usage.level != .group { try c.encode(usage.models.mapValues(TotalsBody.init), forKey: .models) }
        try c.encode(AmountsBody(usage.reserved), forKey: .reserved)
        try c.encode(AmountsBody(usage.limits), forKey: .limits)
        try c.encode(RateBody(usage.rate), forKey: .rate)
        try c.encode(AmountsBody(usage.remaining), forKey: .remaining)
        try c.encode(usage.windows.map { WindowBody(window: $0, rate: usage.rate) }, forKey: .windows)
        try c.encode(usage.overLimitEvents, forKey: .overLimitEvents)
        try c.encode(forecast.map(ForecastBody.init), forKey: .forecast)
    }
}

/// A rolling window in usage views.
struct WindowBody: Encodable {
    var window: WindowUsage
    var rate: RateLimits

    enum CodingKeys: String, CodingKey {
        case window, seconds, tokens, requests
        case tokensLimit = "tokens_limit"
        case requestsLimit = "requests_limit"
        case tokensRemaining = "tokens_remaining"
        case requestsRemaining = "requests_remaining"
    }

    func encode(to encoder: any Encoder) throws {
        let (tokensKind, requestsKind, name): (LimitKind, LimitKind, String) =
            switch window.seconds {
            case 60: (.tokensPerMinute, .requestsPerMinute, "minute")
            case 3600: (.tokensPerHour, .requestsPerHour, "hour")
            default: (.tokensPerDay, .requestsPerDay, "day")
            }
        let tokensLimit = rate[tokensKind]
        let requestsLimit = rate[requestsKind]
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .window)
        try c.encode(window.seconds, forKey: .seconds)
        try c.encode(window.tokens, forKey: .tokens)
        try c.encode(window.requests, forKey: .requests)
        try c.encode(tokensLimit, forKey: .tokensLimit)
        try c.encode(requestsLimit, forKey: .requestsLimit)
        try c.encode(tokensLimit.map { max(0, $0 - window.tokens) }, forKey: .tokensRemaining)
        try c.encode(requestsLimit.map { max(0, $0 - window.requests) }, forKey: .requestsRemaining)
    }
}
