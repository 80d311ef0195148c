public import TokenAccounting

/// Sums of usage over a cycle, for a user or one of its models.
public struct UsageTotals: Sendable, Hashable {
    /// Sum of canonical token classes.
    public var usage: TokenUsage
    /// Successful calls recorded.
    public var requests: Int
    /// Failed calls recorded (onLLMError / `error: true` events).
    public var errors: Int
    /// Cost in nano-USD.
    public var costNanoUSD: Int
    /// Calls whose model had no price (counted, cost 0).
    public var unpricedRequests: Int
    /// Calls whose counts were estimated rather than reported.
    public var estimatedRequests: Int

    /// Creates totals.
    public init(usage: TokenUsage = .zero, requests: Int = 0, errors: Int = 0, costNanoUSD: Int = 0, unpricedRequests: Int = 0, estimatedRequests: Int = 0) {
        self.usage = usage
        self.requests = requests
        self.errors = errors
        self.costNanoUSD = costNanoUSD
        self.unpricedRequests = unpricedRequests
        self.estimatedRequests = estimatedRequests
    }

    /// Input plus output tokens.
    public var tokens: Int { usage.totalTokens }

    /// Adds two totals.
    public static func + (lhs: UsageTotals, rhs: UsageTotals) -> UsageTotals {
        UsageTotals(
            usage: lhs.usage + rhs.usage, requests: lhs.requests + rhs.requests, errors: lhs.errors + rhs.errors,
            costNanoUSD: lhs.costNanoUSD + rhs.costNanoUSD, unpricedRequests: lhs.unpricedRequests + rhs.unpricedRequests,
            estimatedRequests: lhs.estimatedRequests + rhs.estimatedRequests
        )
    }
}

/// What active reservations hold back.
public struct ReservedAmounts: Sendable, Hashable {
    /// Tokens reserved.
    public var tokens: Int
    /// Cost reserved in nano-USD.
    public var costNanoUSD: Int
    /// Requests reserved (one per active reservation).
    public var requests: Int
    /// Creates amounts.
    public init(tokens: Int = 0, costNanoUSD: Int = 0, requests: Int = 0) {
        self.tokens = tokens
        self.costNanoUSD = costNanoUSD
        self.requests = requests
    }
}

/// What is left of each limit (`nil` = unlimited), never negative.
public struct RemainingQuota: Sendable, Hashable {
    /// Tokens left.
    public var tokens: Int?
    /// Cost left in nano-USD.
    public var costNanoUSD: Int?
    /// Requests left.
    public var requests: Int?

    /// Computes what is left: limit − used − reserved, floored at 0.
    public init(limits: QuotaLimits, totals: UsageTotals, reserved: ReservedAmounts) {
        tokens = limits.tokens.map { max(0, $0 - totals.tokens - reserved.tokens) }
        costNanoUSD = limits.costNanoUSD.map { max(0, $0 - totals.costNanoUSD - reserved.costNanoUSD) }
        requests = limits.requests.map { max(0, $0 - totals.requests - reserved.requests) }
    }
}
