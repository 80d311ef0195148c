public import Foundation

/// The billing cycles of one account: a ``CyclePolicy``, plus the cycle that was running when the policy
/// last changed.
///
/// When the policy changes mid-cycle (see ``changing(from:to:at:)``), the running cycle keeps its id and
/// start and ends at the new policy's first boundary strictly after the change, so no usage is split or
/// reset early; later cycles follow the new policy. Before the transition cycle the new policy applies
/// too, with the cycle just before the transition cut off at the transition's start, so the schedule's
/// cycles never overlap.
public struct CycleSchedule: Sendable, Hashable, Codable {
    /// The cycle that was running when the policy changed, stretched to the new policy's next boundary.
    public struct Transition: Sendable, Hashable, Codable {
        /// The running cycle's id, kept so that its usage stays under the same key.
        public let id: String
        /// The running cycle's start.
        public let start: Date
        /// The new policy's first cycle boundary strictly after the change.
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

    /// The policy in force (since ``transition``, if any).
    public let policy: CyclePolicy
    /// The cycle that was running when the policy last changed, if it did.
    public let transition: Transition?

    /// A schedule that has always followed `policy`.
    public init(policy: CyclePolicy = .calendarMonthUTC) {
        self.policy = policy
        self.transition = nil
    }

    /// Creates a schedule with a transition cycle, checking it.
    ///
    /// - Throws: ``CycleError`` with code ``CycleError/Code/invalidTransition`` when the transition's id is not
    ///   a `yyyy-MM-dd` date, its start is not before its end, or its end is not a cycle start of `policy`.
    public init(policy: CyclePolicy, transition: Transition?) throws(CycleError) {
        if let transition {
            let problem: String? =
                if (try? CyclePolicy.parse(id: transition.id)) == nil { "its id \"\(transition.id)\" is not a yyyy-MM-dd date" }
                else if transition.start >= transition.end { "it does not start before it ends" }
                else if !policy.isCycleStart(transition.end) { "its end is not a cycle start of the policy" }
                else { nil }
            if let problem {
                throw CycleError(code: .invalidTransition, message: "invalid transition cycle: \(problem)")
            }
        }
        self.init(checkedPolicy: policy, transition: transition)
    }

    private init(checkedPolicy policy: CyclePolicy, transition: Transition?) {
        self.policy = policy
        self.transition = transition
    }

    /// The schedule after changing `old`'s policy to `newPolicy` at `date`.
    ///
    /// The cycle of `old` running at `date` keeps its id and start and now ends at `newPolicy`'s first
    /// boundary strictly after `date` (or the one after, should that boundary's cycle have the same id, which
    /// can only happen when the time zone changes). An unchanged policy returns `old` as it is.
    public static func changing(from old: CycleSchedule, to newPolicy: CyclePolicy, at date: Date) -> CycleSchedule {
        guard newPolicy != old.policy else { return old }
        let running = old.cycle(containing: date)
        var end = newPolicy.nextReset(after: date)
        if newPolicy.cycle(containing: end).id == running.id {
            end = newPolicy.nextReset(after: end)
        }
        return CycleSchedule(checkedPolicy: newPolicy, transition: Transition(id: running.id, start: running.start, end: end))
    }

    /// The cycle that contains `date`.
    public func cycle(containing date: Date) -> BillingCycle {
        guard let transition, date < transition.end else { return policy.cycle(containing: date) }
        if date >= transition.start { return transition.cycle }
        var cycle = policy.cycle(containing: date)
        cycle.end = min(cycle.end, transition.start)
        return cycle
    }

    /// The cycle whose id is `id`.
    ///
    /// The transition cycle's id takes precedence over a policy cycle with the same id.
    /// - Throws: ``CycleError`` with code ``CycleError/Code/invalidCycleID`` for a malformed id, or
    ///   ``CycleError/Code/notACycleStart`` when no cycle of this schedule starts on that date (including
    ///   policy cycles that would start inside the transition cycle).
    public func cycle(id: String) throws(CycleError) -> BillingCycle {
        guard let transition else { return try policy.cycle(id: id) }
        if id == transition.id { return transition.cycle }
        var cycle = try policy.cycle(id: id)
        if cycle.start >= transition.start && cycle.start < transition.end {
            throw CycleError(
                code: .notACycleStart,
                message: "no cycle starts on \(id): that time belongs to the transition cycle \(transition.id)"
            )
        }
        cycle.end = cycle.start < transition.start ? min(cycle.end, transition.start) : cycle.end
        return cycle
    }

    /// The first cycle boundary strictly after `date`: the end of the cycle containing it.
    public func nextReset(after date: Date) -> Date {
        cycle(containing: date).end
    }

    /// Whole seconds from `date` until ``nextReset(after:)``, rounded up; at least 1.
    public func secondsUntilReset(from date: Date) -> Int {
        let from = CyclePolicy.clamp(date)
        return max(1, Int(nextReset(after: from).timeIntervalSince(from).rounded(.up)))
    }

    enum CodingKeys: String, CodingKey {
        case policy
        case transition
    }

    /// Decodes `{"policy": {...}, "transition": {"id": ..., "start": ..., "end": ...}}`, checking it like
    /// ``init(policy:transition:)``.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let policy = try container.decode(CyclePolicy.self, forKey: .policy)
        let transition = try container.decodeIfPresent(Transition.self, forKey: .transition)
        do {
            try self.init(policy: policy, transition: transition)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message, underlyingError: error))
        }
    }
}
