import QuotaStores
import QuotaHTTP
import Foundation
import TokenAccounting
import TokenQuota

/// What every page of one tenant needs: the tenant, the viewer (checked for access), the tenant's cycle
/// schedule and time zone (times are shown in it), and the repository's clock.
struct DashboardTenant: Sendable {
    var tenant: String
    var viewer: DashboardViewer
    var schedule: CycleSchedule
    var now: Date

    /// The tenant's time zone (its cycle schedule's).
    var timeZone: TimeZone { schedule.policy.timeZone }

    /// The current cycle of the tenant.
    var cycle: BillingCycle { schedule.cycle(containing: now) }

    /// A date and time in the tenant's time zone.
    func dateTime(_ date: Date) -> String { DashboardFormat.dateTime(date, in: timeZone) }

    /// The layout of one of this tenant's pages.
    func layout(_ title: String, _ section: DashboardLayout.Section, notice: String? = nil) -> DashboardLayout {
        DashboardLayout(title: title, viewer: viewer, tenant: tenant, section: section, timeZone: schedule.policy.timeZoneIdentifier, notice: notice)
    }

    /// The local days of `cycle` up to `now` (the whole cycle when it has ended), in the tenant's time zone.
    func days(of cycle: BillingCycle) -> (from: CalendarDay, to: CalendarDay) {
        let last = min(now, cycle.end.addingTimeInterval(-0.001))
        let from = CalendarDay(cycle.start, in: timeZone)
        let to = CalendarDay(max(last, cycle.start), in: timeZone)
        return (from, to)
    }
}
