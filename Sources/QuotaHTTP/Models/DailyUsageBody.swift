public import TokenQuota

/// `GET …/usage/daily`: `{"tenant","time_zone","from","to","user","group","model","days":[…]}`, one day per
/// local date of the range (zeros for days without usage), each with the token classes, `total_tokens`,
/// `requests`, `errors`, `unpriced_requests`, `estimated_requests`, `cost_nano_usd` and the exact decimal
/// `cost_usd`.
public struct DailyUsageBody: Sendable, Encodable {
    let history: DailyUsageHistory

    /// Wraps a domain history.
    public init(_ history: DailyUsageHistory) { self.history = history }

    enum CodingKeys: String, CodingKey {
        case tenant, from, to, user, group, model, days
        case timeZone = "time_zone"
    }

    /// Encodes the history.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(history.tenant, forKey: .tenant)
        try c.encode(history.timeZone, forKey: .timeZone)
        try c.encode(history.from.description, forKey: .from)
        try c.encode(history.to.description, forKey: .to)
        try c.encode(history.row.user, forKey: .user)
        try c.encode(history.row.group, forKey: .group)
        try c.encode(history.row.model, forKey: .model)
        try c.encode(history.days.map(Day.init), forKey: .days)
    }

    /// One day: its date and the row's totals, flattened.
    struct Day: Encodable {
        var day: DailyUsage

        enum CodingKeys: String, CodingKey {
            case date
            case costUSD = "cost_usd"
        }

        func encode(to encoder: any Encoder) throws {
            try TotalsBody(day.totals).encode(to: encoder)
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(day.day.description, forKey: .date)
            try c.encode(DecimalUSD.string(fromNanoUSD: day.totals.costNanoUSD), forKey: .costUSD)
        }
    }
}
