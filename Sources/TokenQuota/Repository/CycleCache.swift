import Foundation
import Synchronization
import TokenAccounting

/// The cycle each schedule is in, remembered until it ends: finding a cycle takes calendar arithmetic
/// (Foundation's `Calendar`), which is the costliest step of a record or reserve in quotad's own CPU.
///
/// Answers only for dates inside the remembered cycle (`start <= date < end`), so it never answers a
/// different cycle than ``CycleSchedule/cycle(containing:)`` would.
final class CycleCache: Sendable {
    private let cycles = Mutex<[CycleSchedule: BillingCycle]>([:])
    /// Beyond this many schedules the cache starts over (schedules are few: one per distinct quota policy).
    private let capacity = 10_000

    /// The cycle of `schedule` containing `date`.
    func cycle(of schedule: CycleSchedule, containing date: Date) -> BillingCycle {
        if let hit = cycles.withLock({ $0[schedule] }), hit.start <= date, date < hit.end { return hit }
        let cycle = schedule.cycle(containing: date)
        cycles.withLock { cache in
            if cache.count >= capacity { cache.removeAll(keepingCapacity: true) }
            cache[schedule] = cycle
        }
        return cycle
    }
}

/// The tenant's day (in its time zone) containing an instant, remembered until it ends: the per-day usage
/// rows are keyed by it.
final class DayCache: Sendable {
    /// One day: its id (`YYYY-MM-DD`) and its instants.
    struct Day: Sendable {
        var id: String
        var start: Date
        var end: Date
    }

    private let days = Mutex<[String: Day]>([:])

    /// The day of `timeZone` containing `date`.
    func day(in timeZone: TimeZone, containing date: Date) -> Day {
        let key = timeZone.identifier
        if let hit = days.withLock({ $0[key] }), hit.start <= date, date < hit.end { return hit }
        let day = Self.compute(timeZone, date)
        days.withLock { cache in
            if cache.count >= 10_000 { cache.removeAll(keepingCapacity: true) }
            cache[key] = day
        }
        return day
    }

    static func compute(_ timeZone: TimeZone, _ date: Date) -> Day {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let interval = calendar.dateInterval(of: .day, for: date) ?? DateInterval(start: date, duration: 86_400)
        let parts = calendar.dateComponents([.year, .month, .day], from: interval.start)
        let id = String(format: "%04d-%02d-%02d", parts.year ?? 1970, parts.month ?? 1, parts.day ?? 1)
        return Day(id: id, start: interval.start, end: interval.end)
    }
}
