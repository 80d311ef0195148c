package import TokenQuota

/// The rolling-window limits in quota bodies and views: every window key, `null` = none.
package struct RateBody: Codable, Sendable {
    package var tokensPerMinute: Int?
    package var requestsPerMinute: Int?
    package var tokensPerHour: Int?
    package var requestsPerHour: Int?
    package var tokensPerDay: Int?
    package var requestsPerDay: Int?

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case tokensPerMinute = "tokens_per_minute"
        case requestsPerMinute = "requests_per_minute"
        case tokensPerHour = "tokens_per_hour"
        case requestsPerHour = "requests_per_hour"
        case tokensPerDay = "tokens_per_day"
        case requestsPerDay = "requests_per_day"
    }

    package init(_ rate: RateLimits) {
        tokensPerMinute = rate.tokensPerMinute
        requestsPerMinute = rate.requestsPerMinute
        tokensPerHour = rate.tokensPerHour
        requestsPerHour = rate.requestsPerHour
        tokensPerDay = rate.tokensPerDay
        requestsPerDay = rate.requestsPerDay
    }

    /// The limits, validated (non-negative).
    package func rateLimits() throws(APIError) -> RateLimits {
        let rate = RateLimits(
            tokensPerMinute: tokensPerMinute, requestsPerMinute: requestsPerMinute, tokensPerHour: tokensPerHour,
            requestsPerHour: requestsPerHour, tokensPerDay: tokensPerDay, requestsPerDay: requestsPerDay
        )
        for (kind, value) in rate.all {
            if let value, value < 0 { throw APIError.badRequest("rate.\(kind.rawValue) must not be negative (got \(value))") }
        }
        return rate
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(tokensPerMinute, forKey: .tokensPerMinute)
        try c.encode(requestsPerMinute, forKey: .requestsPerMinute)
        try c.encode(tokensPerHour, forKey: .tokensPerHour)
        try c.encode(requestsPerHour, forKey: .requestsPerHour)
        try c.encode(tokensPerDay, forKey: .tokensPerDay)
        try c.encode(requestsPerDay, forKey: .requestsPerDay)
    }
}
