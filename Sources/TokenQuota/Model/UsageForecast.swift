public import Foundation
public import TokenAccounting

/// Where a level's cycle is heading at its current burn rate: the cycle's recorded totals extrapolated
/// linearly from the elapsed part of the cycle to its end, and when each cycle limit is reached at that rate.
///
/// Rules (integer arithmetic on milliseconds; no floating point):
/// - Only the cycle containing `now` has a forecast, and only once at least one hour **and** at least 1% of
///   it have elapsed (``minimumElapsedMilliseconds``, ``minimumElapsedPercent``); before that the rate says
///   too little and ``project(totals:limits:cycle:now:)`` returns nil.
/// - Projected = used × cycle length ÷ elapsed (rounded down, saturating at `Int.max`). Tokens are input
///   plus output tokens, as the token limit counts them; reservations are not usage and are left out.
/// - A limit's date = cycle start + limit × elapsed ÷ used (rounded up to the millisecond): nil when there
///   is no limit, nothing was used yet, or the date is not before the cycle's end (the cycle resets first);
///   when usage already reached the limit, the date is `now`.
public struct UsageForecast: Sendable, Hashable {
    /// Input plus output tokens at the end of the cycle at the current rate.
    public var projectedTokens: Int
    /// Cost in nano-USD at the end of the cycle at the current rate.
    public var projectedCostNanoUSD: Int
    /// When the token limit is reached at the current rate (see the type's rules).
    public var tokensLimitReachedAt: Date?
    /// When the cost limit is reached at the current rate (see the type's rules).
    public var costLimitReachedAt: Date?

    /// The least elapsed time before a forecast is made: one hour.
    public static let minimumElapsedMilliseconds = 3_600_000
    /// The least elapsed share of the cycle before a forecast is made, in percent.
    public static let minimumElapsedPercent = 1

    /// Creates a forecast.
    public init(projectedTokens: Int, projectedCostNanoUSD: Int, tokensLimitReachedAt: Date? = nil, costLimitReachedAt: Date? = nil) {
        self.projectedTokens = projectedTokens
        self.projectedCostNanoUSD = projectedCostNanoUSD
        self.tokensLimitReachedAt = tokensLimitReachedAt
        self.costLimitReachedAt = costLimitReachedAt
    }

    /// The forecast of a level whose cycle `cycle` holds `totals` at `now`, or nil when there is none
    /// (see the type's rules).
    public static func project(totals: UsageTotals, limits: QuotaLimits, cycle: BillingCycle, now: Date) -> UsageForecast? {
        let start = milliseconds(cycle.start)
        let end = milliseconds(cycle.end)
        let current = milliseconds(now)
        guard start <= current, current < end else { return nil }
        let length = end - start
        let elapsed = current - start
        guard elapsed >= minimumElapsedMilliseconds,
              elapsed.multipliedReportingOverflow(by: 100).partialValue >= length.multipliedReportingOverflow(by: minimumElapsedPercent).partialValue
        else { return nil }
        func reachedAt(_ limit: Int?, used: Int) -> Date? {
            guard let limit else { return nil }
            if used >= limit { return now }
            guard used > 0 else { return nil }
            let offset = multiplyDivide(limit, elapsed, used, roundingUp: true)
            guard offset < end - start else { return nil }
            return Date(timeIntervalSince1970: Double(start + offset) / 1000)
        }
        let tokens = max(0, totals.tokens)
        let cost = max(0, totals.costNanoUSD)
        return UsageForecast(
            projectedTokens: multiplyDivide(tokens, length, elapsed, roundingUp: false),
            projectedCostNanoUSD: multiplyDivide(cost, length, elapsed, roundingUp: false),
            tokensLimitReachedAt: reachedAt(limits.tokens, used: tokens),
            costLimitReachedAt: reachedAt(limits.costNanoUSD, used: cost)
        )
    }

    /// `a × b ÷ c` for `a, b ≥ 0`, `c > 0`, with a 128-bit intermediate product, saturating at `Int.max`.
    static func multiplyDivide(_ a: Int, _ b: Int, _ c: Int, roundingUp: Bool) -> Int {
        guard a > 0, b > 0, c > 0 else { return 0 }
        let product = UInt(a).multipliedFullWidth(by: UInt(b))
        let divisor = UInt(c)
        guard product.high < divisor else { return Int.max }
        let (quotient, remainder) = divisor.dividingFullWidth(product)
        let rounded = roundingUp && remainder > 0 ? quotient.addingReportingOverflow(1) : (partialValue: quotient, overflow: false)
        guard !rounded.overflow, rounded.partialValue <= UInt(Int.max) else { return Int.max }
        return Int(rounded.partialValue)
    }

    static func milliseconds(_ date: Date) -> Int { Int((date.timeIntervalSince1970 * 1000).rounded(.down)) }
}
