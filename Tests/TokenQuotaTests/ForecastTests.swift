import Foundation
import Testing
import TokenAccounting
import TokenQuota

/// The linear forecast of a cycle (pure, fixed dates).
@Suite struct ForecastTests {
    /// March 2025 in UTC: 31 days = 2,678,400,000 ms.
    let cycle = CyclePolicy.calendarMonthUTC.cycle(containing: Date(timeIntervalSince1970: 1_741_000_000))
    var start: Date { cycle.start }

    func at(milliseconds offset: Int) -> Date { Date(timeIntervalSince1970: (cycle.start.timeIntervalSince1970 * 1000 + Double(offset)) / 1000) }
    func ms(_ date: Date?) -> Int? { date.map { Int(($0.timeIntervalSince1970 * 1000).rounded()) } }
    func totals(input: Int, output: Int, cost: Int) -> UsageTotals {
        UsageTotals(usage: TokenUsage(inputTokens: input, outputTokens: output), requests: 1, costNanoUSD: cost)
    }

    @Test func projectsLinearlyAndDatesTheLimitsAtTheBurnRate() throws {
        #expect(cycle.id == "2025-03-01")
        let tenDays = 864_000_000
        let forecast = try #require(UsageForecast.project(
            totals: totals(input: 600, output: 400, cost: 3_100_000_000),
            limits: QuotaLimits(tokens: 2000, costNanoUSD: 20_000_000_000), cycle: cycle, now: at(milliseconds: tenDays)
        ))
        #expect(forecast.projectedTokens == 3100)
        #expect(forecast.projectedCostNanoUSD == 9_610_000_000)
        // 2,000 tokens at 1,000 per 10 days: day 20.
        #expect(forecast.tokensLimitReachedAt == Date(timeIntervalSince1970: 1_740_787_200 + 20 * 86_400))
        // $20 at $3.10 per 10 days: after the cycle ends (it resets first).
        #expect(forecast.costLimitReachedAt == nil)
    }

    @Test func roundsTheLimitDateUpToTheMillisecondAndProjectionsDown() throws {
        let elapsed = 864_000_001
        let forecast = try #require(UsageForecast.project(
            totals: totals(input: 3, output: 0, cost: 7), limits: QuotaLimits(tokens: 5), cycle: cycle, now: at(milliseconds: elapsed)
        ))
        // 3 × 2,678,400,000 / 864,000,001 = 9.29… → 9; 7 × … = 21.69… → 21.
        #expect(forecast.projectedTokens == 9)
        #expect(forecast.projectedCostNanoUSD == 21)
        // 5 × 864,000,001 / 3 = 1,440,000,001.67 → 1,440,000,002 ms after the start.
        #expect(ms(forecast.tokensLimitReachedAt) == ms(start)! + 1_440_000_002)
    }

    @Test func noForecastBeforeAnHourAndOnePercentOfTheCycle() {
        let used = totals(input: 10, output: 10, cost: 10)
        // 59 minutes: too early.
        #expect(UsageForecast.project(totals: used, limits: .unlimited, cycle: cycle, now: at(milliseconds: 3_540_000)) == nil)
        // Two hours are more than an hour but less than 1% of 31 days (7.44 h).
        #expect(UsageForecast.project(totals: used, limits: .unlimited, cycle: cycle, now: at(milliseconds: 7_200_000)) == nil)
        // Exactly 1% (26,784,000 ms): a forecast, 100 × the usage.
        let forecast = UsageForecast.project(totals: used, limits: .unlimited, cycle: cycle, now: at(milliseconds: 26_784_000))
        #expect(forecast?.projectedTokens == 2000)
        #expect(forecast?.projectedCostNanoUSD == 1000)
        #expect(forecast?.tokensLimitReachedAt == nil)
        #expect(forecast?.costLimitReachedAt == nil)
        // Outside the cycle: none.
        #expect(UsageForecast.project(totals: used, limits: .unlimited, cycle: cycle, now: cycle.end) == nil)
        #expect(UsageForecast.project(totals: used, limits: .unlimited, cycle: cycle, now: at(milliseconds: -1)) == nil)
    }

    @Test func aReachedLimitIsDatedNowAndNoUsageNeverReachesOne() throws {
        let now = at(milliseconds: 864_000_000)
        let reached = try #require(UsageForecast.project(
            totals: totals(input: 2000, output: 500, cost: 0), limits: QuotaLimits(tokens: 2500, costNanoUSD: 1), cycle: cycle, now: now
        ))
        #expect(reached.tokensLimitReachedAt == now)
        #expect(reached.costLimitReachedAt == nil)
        let zeroLimit = try #require(UsageForecast.project(
            totals: totals(input: 0, output: 0, cost: 0), limits: QuotaLimits(tokens: 0, costNanoUSD: 5), cycle: cycle, now: now
        ))
        #expect(zeroLimit.tokensLimitReachedAt == now)
        #expect(zeroLimit.costLimitReachedAt == nil)
        #expect(zeroLimit.projectedTokens == 0)
    }

    @Test func hugeTotalsSaturateInsteadOfTrapping() throws {
        let forecast = try #require(UsageForecast.project(
            totals: totals(input: 9_007_199_254_740_992, output: 9_007_199_254_740_992, cost: Int.max), limits: .unlimited, cycle: cycle,
            now: at(milliseconds: 26_784_000)
        ))
        #expect(forecast.projectedTokens == 1_801_439_850_948_198_400)
        #expect(forecast.projectedCostNanoUSD == Int.max)
    }

    @Test func aLimitReachedOnlyAtTheCycleEndHasNoDate() {
        let now = at(milliseconds: 864_000_000)
        let used = totals(input: 500, output: 500, cost: 0)
        // 1,000 tokens per 10 days reach 3,100 exactly at the end (the cycle resets first), 3,099 just before.
        let atEnd = LevelUsage(level: .tenant, id: "acme", cycle: cycle, totals: used, limits: QuotaLimits(tokens: 3100))
        #expect(atEnd.forecast(at: now)?.projectedTokens == 3100)
        #expect(atEnd.forecast(at: now)?.tokensLimitReachedAt == nil)
        let before = UserUsage(
            user: "alice", cycle: cycle, totals: used, models: [:], reserved: ReservedAmounts(), limits: QuotaLimits(tokens: 3099)
        )
        #expect(ms(before.forecast(at: now)?.tokensLimitReachedAt) == ms(start)! + 2_677_536_000)
    }
}
