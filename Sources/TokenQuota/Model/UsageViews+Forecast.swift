public import Foundation

extension LevelUsage {
    /// The level's forecast at `now` (see ``UsageForecast``): nil unless its cycle contains `now` and enough
    /// of it has elapsed.
    public func forecast(at now: Date) -> UsageForecast? {
        UsageForecast.project(totals: totals, limits: limits, cycle: cycle, now: now)
    }
}

extension UserUsage {
    /// The user's own forecast at `now` (see ``UsageForecast``): nil unless the user's cycle contains `now`
    /// and enough of it has elapsed.
    public func forecast(at now: Date) -> UsageForecast? {
        UsageForecast.project(totals: totals, limits: limits, cycle: cycle, now: now)
    }
}
