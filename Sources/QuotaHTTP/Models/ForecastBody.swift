public import TokenQuota

/// A level's forecast in usage views (see `UsageForecast`):
/// `{"projected_tokens","projected_cost_nano_usd","projected_cost_usd","limit_reached_at":{"tokens","cost"}}`,
/// the dates ISO 8601 UTC or null.
public struct ForecastBody: Sendable, Encodable {
    let forecast: UsageForecast

    /// Wraps a domain forecast.
    public init(_ forecast: UsageForecast) { self.forecast = forecast }

    enum CodingKeys: String, CodingKey {
        case projectedTokens = "projected_tokens"
        case projectedCostNanoUSD = "projected_cost_nano_usd"
        case projectedCostUSD = "projected_cost_usd"
        case limitReachedAt = "limit_reached_at"
    }

    enum LimitKeys: String, CodingKey {
        case tokens, cost
    }

    /// Encodes the forecast.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(forecast.projectedTokens, forKey: .projectedTokens)
        try c.encode(forecast.projectedCostNanoUSD, forKey: .projectedCostNanoUSD)
        try c.encode(DecimalUSD.string(fromNanoUSD: forecast.projectedCostNanoUSD), forKey: .projectedCostUSD)
        var limits = c.nestedContainer(keyedBy: LimitKeys.self, forKey: .limitReachedAt)
        try limits.encode(forecast.tokensLimitReachedAt, forKey: .tokens)
        try limits.encode(forecast.costLimitReachedAt, forKey: .cost)
    }
}
