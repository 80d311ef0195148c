/// The usage of one day (in the tenant's time zone) in one row of the day buckets.
public struct DailyUsage: Sendable, Hashable {
    /// The local date.
    public var day: CalendarDay
    /// What the row counted that day (zeros when it has no row).
    public var totals: UsageTotals

    /// Creates a day.
    public init(day: CalendarDay, totals: UsageTotals) {
        self.day = day
        self.totals = totals
    }
}
