public import Foundation

/// Reads what the record path keeps beyond the cycle totals — per-day rows, per-dimension report rows and
/// the recorded-event stream — and manages the tenant's declared dimensions. ``RedisQuotaRepository``
/// implements it; the HTTP layer asks its repository for it.
public protocol UsageHistoryRepository: Sendable {
    /// The usage of one row per local day (the tenant's time zone) from `from` to `to`, both included;
    /// nil ends default to the last 30 days up to today (at `now`). At most the repository's history
    /// length (`RepositorySettings.historyDays`) of days.
    ///
    /// - Throws: ``QuotaError/Code/invalidArgument`` when `from` is after `to` or the range is too long.
    func dailyUsage(
        tenant: String, from: CalendarDay?, to: CalendarDay?, row: DailyRowSelector, now: Date
    ) async throws(QuotaError) -> DailyUsageHistory

    /// The tenant cycle's (`nil` = the current one) usage per value of a declared dimension.
    ///
    /// - Throws: ``QuotaError/Code/invalidArgument`` when `dimension` is not declared.
    func dimensionReport(tenant: String, dimension: String, cycleID: String?, now: Date) async throws(QuotaError) -> DimensionReport

    /// Up to `limit` recorded events after `cursor` (exclusive; nil = from the oldest retained).
    func events(tenant: String, after cursor: EventCursor?, limit: Int) async throws(QuotaError) -> EventPage

    /// The tenant's declared dimensions, sorted.
    func dimensions(tenant: String) async throws(QuotaError) -> [String]

    /// Replaces the tenant's declared dimensions atomically (see ``DeclaredDimensions``) and returns them sorted.
    func setDimensions(tenant: String, _ names: [String]) async throws(QuotaError) -> [String]
}
