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
