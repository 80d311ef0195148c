public import Foundation

extension CycleSchedule {
    /// The cycle that was running when the policy last changed.
    ///
    /// It keeps the id and start it had before the change, so its usage stays under the same key. Its end is
    /// either the new policy's first boundary after the change, or — where that would make the cycle longer
    /// than ``CycleSchedule/longestCycle`` — the end it had before the change; in the second case, unless that
    /// end is a boundary of the new policy, a bridge cycle (``CycleSchedule/bridge``) follows it.
    ///
    /// Stored as three values (for example the Redis hash fields `tr_id`, `tr_start`, `tr_end`); schedules
    /// written before bridges existed always have an end on a policy boundary and therefore no bridge.
    public struct Transition: Sendable, Hashable, Codable {
        /// The running cycle's id, kept so that its usage stays under the same key.
        public let id: String
        /// The running cycle's start, kept.
        public let start: Date
        /// The running cycle's end: the new policy's first boundary after the change, or the cycle's original
        /// end (then a bridge cycle follows unless it is also a boundary of the new policy).
        public let end: Date

        /// Creates a transition; ``CycleSchedule/init(policy:transition:)`` checks it.
        public init(id: String, start: Date, end: Date) {
            self.id = id
            self.start = start
            self.end = end
        }

        /// The transition as a billing cycle.
        public var cycle: BillingCycle {
            BillingCycle(id: id, start: start, end: end)
        }
    }
}
