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

    /// Input plus output tokens, saturating at `Int.max` (never traps).
    public var tokens: Int { Saturating.add(usage.inputTokens, usage.outputTokens).value }

    /// Adds two totals field by field, saturating each at `Int.max` (`Int.min`) instead of trapping.
    ///
    /// One user's stored totals stay below 2^53, but sums over many users (a tenant report) can pass
    /// `Int.max`; use ``adding(_:)`` to learn whether that happened.
    public static func + (lhs: UsageTotals, rhs: UsageTotals) -> UsageTotals {
        lhs.adding(rhs).sum
    }

    /// Adds two totals field by field with checked arithmetic.
    ///
    /// - Returns: the sum, each field saturated at `Int.max` (`Int.min`) where it overflowed, and whether
    ///   any field saturated.
    public func adding(_ other: UsageTotals) -> (sum: UsageTotals, saturated: Bool) {
        var saturated = false
        func add(_ a: Int, _ b: Int) -> Int {
            let result = Saturating.add(a, b)
            saturated = saturated || result.saturated
            return result.value
        }
        let u = usage, o = other.usage
        let sum = UsageTotals(
            usage: TokenUsage(
                inputTokens: add(u.inputTokens, o.inputTokens),
                cachedInputTokens: add(u.cachedInputTokens, o.cachedInputTokens),
                cacheWriteTokens: add(u.cacheWriteTokens, o.cacheWriteTokens),
                cacheWrite1hTokens: add(u.cacheWrite1hTokens, o.cacheWrite1hTokens),
                outputTokens: add(u.outputTokens, o.outputTokens),
                reasoningTokens: add(u.reasoningTokens, o.reasoningTokens),
                audioInputTokens: add(u.audioInputTokens, o.audioInputTokens),
                audioOutputTokens: add(u.audioOutputTokens, o.audioOutputTokens),
                webSearchRequests: add(u.webSearchRequests, o.webSearchRequests)
            ),
            requests: add(requests, other.requests), errors: add(errors, other.errors),
            costNanoUSD: add(costNanoUSD, other.costNanoUSD), unpricedRequests: add(unpricedRequests, other.unpricedRequests),
            estimatedRequests: add(estimatedRequests, other.estimatedRequests)
        )
        return (sum, saturated)
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

    /// Computes what is left: limit − used − reserved, floored at 0 (checked arithmetic: never traps).
    public init(limits: QuotaLimits, totals: UsageTotals, reserved: ReservedAmounts) {
        tokens = limits.tokens.map { Self.left(of: $0, used: totals.tokens, reserved: reserved.tokens) }
        costNanoUSD = limits.costNanoUSD.map { Self.left(of: $0, used: totals.costNanoUSD, reserved: reserved.costNanoUSD) }
        requests = limits.requests.map { Self.left(of: $0, used: totals.requests, reserved: reserved.requests) }
    }

    static func left(of limit: Int, used: Int, reserved: Int) -> Int {
        let consumed = Saturating.add(used, reserved).value
        let (left, overflow) = limit.subtractingReportingOverflow(consumed)
        if overflow { return consumed < 0 ? Int.max : 0 }
        return max(0, left)
    }
}
