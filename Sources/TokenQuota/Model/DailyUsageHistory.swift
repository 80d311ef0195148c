/// Usage per day over a range of local dates (both ends included), every day present.
public struct DailyUsageHistory: Sendable, Hashable {
    /// The tenant.
    public var tenant: String
    /// The IANA time zone the days are local to (the tenant's cycle schedule's).
    public var timeZone: String
    /// The first day.
    public var from: CalendarDay
    /// The last day (included).
    public var to: CalendarDay
    /// The row read.
    public var row: DailyRowSelector
    /// One entry per day from `from` to `to`, in order.
    public var days: [DailyUsage]

    /// Creates a history.
    public init(tenant: String, timeZone: String, from: CalendarDay, to: CalendarDay, row: DailyRowSelector, days: [DailyUsage]) {
        self.tenant = tenant
        self.timeZone = timeZone
        self.from = from
        self.to = to
        self.row = row
        self.days = days
    }
}
