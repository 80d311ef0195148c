public import TokenQuota

extension AmountsBody {
    /// Limits (`null` = unlimited).
    public init(_ limits: QuotaLimits) {
        self.init(tokens: limits.tokens, costNanoUSD: limits.costNanoUSD, requests: limits.requests)
    }

    /// What is left (`null` = unlimited).
    public init(_ remaining: RemainingQuota) {
        self.init(tokens: remaining.tokens, costNanoUSD: remaining.costNanoUSD, requests: remaining.requests)
    }

    /// What active reservations hold.
    public init(_ reserved: ReservedAmounts) {
        self.init(tokens: reserved.tokens, costNanoUSD: reserved.costNanoUSD, requests: reserved.requests)
    }
}
