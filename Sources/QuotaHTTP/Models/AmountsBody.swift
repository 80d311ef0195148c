/// Token, cost and request amounts in responses (`limits`, `remaining`, `reserved`); `null` = unlimited.
public struct AmountsBody: Sendable, Encodable {
    /// Tokens.
    public var tokens: Int?
    /// Cost in nano-USD.
    public var costNanoUSD: Int?
    /// Requests.
    public var requests: Int?

    /// Creates amounts.
    public init(tokens: Int?, costNanoUSD: Int?, requests: Int?) {
        self.tokens = tokens
        self.costNanoUSD = costNanoUSD
        self.requests = requests
    }

    enum CodingKeys: String, CodingKey {
        case tokens, requests
        case costNanoUSD = "cost_nano_usd"
    }

    /// Encodes all three fields, `null` when absent.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(tokens, forKey: .tokens)
        try c.encode(costNanoUSD, forKey: .costNanoUSD)
        try c.encode(requests, forKey: .requests)
    }
}
