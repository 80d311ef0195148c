import QuotaStores
import QuotaHTTP
import TokenQuota

/// One limit as a progress bar with its numbers: used (and reserved) of the limit, what is left, percent.
struct LimitMeter: Sendable {
    var label: String
    var used: String
    var limit: String
    var remaining: String
    var reserved: String
    var hasReserved: Bool
    var percent: Int
    /// The `<meter>` value (percent capped at 100).
    var meterValue: Int
    var over: Bool

    /// The meters of every cycle limit that is set (tokens, cost, requests).
    static func cycleLimits(limits: QuotaLimits, totals: UsageTotals, reserved: ReservedAmounts) -> [LimitMeter] {
        let remaining = RemainingQuota(limits: limits, totals: totals, reserved: reserved)
        var meters: [LimitMeter] = []
        if let limit = limits.tokens {
            meters.append(make("Tokens", used: totals.tokens, limit: limit, left: remaining.tokens ?? 0, reserved: reserved.tokens, DashboardFormat.count))
        }
        if let limit = limits.costNanoUSD {
            meters.append(make("Spend", used: totals.costNanoUSD, limit: limit, left: remaining.costNanoUSD ?? 0, reserved: reserved.costNanoUSD) {
                DashboardFormat.usd(nano: $0)
            })
        }
        if let limit = limits.requests {
            meters.append(make("Requests", used: totals.requests, limit: limit, left: remaining.requests ?? 0, reserved: reserved.requests, DashboardFormat.count))
        }
        return meters
    }

    /// The meters of the rolling windows that have a limit.
    static func windows(rate: RateLimits, windows: [WindowUsage]) -> [LimitMeter] {
        var meters: [LimitMeter] = []
        for window in windows.sorted(by: { $0.seconds < $1.seconds }) {
            let (name, tokens, requests): (String, Int?, Int?) =
                switch window.seconds {
                case 60: ("minute", rate.tokensPerMinute, rate.requestsPerMinute)
                case 3600: ("hour", rate.tokensPerHour, rate.requestsPerHour)
                default: ("day", rate.tokensPerDay, rate.requestsPerDay)
                }
            if let tokens {
                meters.append(make("Tokens per \(name)", used: window.tokens, limit: tokens, left: max(0, tokens - window.tokens), reserved: 0, DashboardFormat.count))
            }
            if let requests {
                meters.append(make("Requests per \(name)", used: window.requests, limit: requests, left: max(0, requests - window.requests), reserved: 0, DashboardFormat.count))
            }
        }
        return meters
    }

    static func make(_ label: String, used: Int, limit: Int, left: Int, reserved: Int, _ format: (Int) -> String) -> LimitMeter {
        let percent = DashboardFormat.percent(used, of: limit)
        return LimitMeter(
            label: label, used: format(used), limit: format(limit), remaining: format(left), reserved: format(reserved), hasReserved: reserved > 0,
            percent: percent, meterValue: min(percent, 100), over: limit > 0 ? used >= limit : used > 0
        )
    }
}
