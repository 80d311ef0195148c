public import Foundation

/// The billing cycles of one account: a ``CyclePolicy``, plus the cycle that was running when the policy
/// last changed.
///
/// **Changing the policy** (see ``changing(from:to:at:)``) never resets or splits usage, and never makes a
/// cycle longer than ``longestCycle`` (31 days and 1 hour, the longest month plus a daylight-saving hour),
/// except by absorbing a bridge shorter than a day (rule 4):
/// 1. The cycle running at the change keeps its id and start, so the usage already counted stays in it.
/// 2. If ending that cycle at the new policy's first boundary after the change keeps it within 31 days and
///    1 hour, it ends there (it may get shorter or longer), and the new policy's cycles follow.
/// 3. Otherwise it keeps the end it already had, and a *bridge* cycle runs from there to the new policy's
///    first boundary (none if that end already is one): a short, prorated first period, as when Stripe moves
///    a subscription's billing-cycle anchor. The new policy's full cycles follow.
/// 4. No cycle shorter than ``shortestCycle`` (23 hours) follows a change: a running cycle that would end
///    sooner runs on to the next boundary, and a bridge that would be shorter (a time-zone change with the
///    same anchor, such as UTC → New York: 5 hours) is absorbed by the running cycle, which then ends at the
///    new policy's boundary (at most ``longestTransition``, 32 days, after its start).
///
/// A repository may skip the transition when nothing was recorded in the running cycle: the subject then
/// starts on the new policy at once (`RedisQuotaRepository` does so for users, groups and the tenant).
///
/// For example, moving the anchor from the 1st to the 15th on March 20 keeps the March 1 cycle until
/// April 1, bridges April 1–15, then bills April 15–May 15 and so on; moving it on March 10 instead ends the
/// March 1 cycle on March 15. Changing the policy again while the transition or bridge cycle runs applies
/// the same rule to the cycle running then. Cycles before the transition are reported in the new policy's
/// terms, cut off where the transition starts, so the schedule's cycles never overlap.
public struct CycleSchedule: Sendable, Hashable, Codable {
    /// The longest cycle a policy change may produce: 31 days and 1 hour.
    ///
    /// A change never lengthens a cycle beyond it; a running cycle that already was longer (one stored by the
    /// rule before bridges existed, or a month in a zone whose clocks move by more than an hour) keeps its end.
    public static let longestCycle: TimeInterval = 31 * 86_400 + 3_600

    /// The shortest cycle a policy change may produce: 23 hours, a local day less a daylight-saving hour.
    ///
    /// A running cycle that would end sooner after its start runs on to the new policy's next boundary, and a
    /// bridge that would be shorter is absorbed by the running cycle (issue 24: a time-zone change handed out
    /// a fresh limit for a few hours).
    public static let shortestCycle: TimeInterval = 23 * 3_600

    /// The longest transition cycle: 32 days, ``longestCycle`` plus a bridge it absorbed (shorter than
    /// ``shortestCycle``). A bridge that would push the transition beyond it (only possible when the policy
    /// changes again while a transition that already absorbed one runs) stays a bridge.
    public static let longestTransition: TimeInterval = longestCycle + shortestCycle

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
    /// A transition whose end is not a cycle start of `policy` (or starts a cycle with the transition's own
    /// id) is followed by a ``bridge`` cycle.
    /// - Throws: ``CycleError`` with code ``CycleError/Code/invalidTransition`` when the transition's id is not
    ///   a `yyyy-MM-dd` date, its start is not before its end, or its bridge would share the next cycle's id.
    public init(policy: CyclePolicy, transition: Transition?) throws(CycleError) {
        self.init(checkedPolicy: policy, transition: transition)
        if let transition {
            let problem: String? =
                if (try? CyclePolicy.parse(id: transition.id)) == nil { "its id \"\(transition.id)\" is not a yyyy-MM-dd date" }
                else if transition.start >= transition.end { "it does not start before it ends" }
                else if let bridge, policy.cycle(containing: bridge.end).id == bridge.id { "its bridge cycle would share the next cycle's id" }
                else { nil }
            if let problem {
                throw CycleError(code: .invalidTransition, message: "invalid transition cycle: \(problem)")
            }
        }
    }

    private init(checkedPolicy policy: CyclePolicy, transition: Transition?) {
        self.policy = policy
        self.transition = transition
    }

    /// The schedule after changing `old`'s policy to `newPolicy` at `date`, by the rule described on
    /// ``CycleSchedule``.
    ///
    /// The cycle of `old` running at `date` keeps its id and start. It ends at `newPolicy`'s first boundary
    /// strictly after `date` (or the one after, should that boundary's cycle have the same id, which can only
    /// happen when the time zone changes) if that keeps it within ``longestCycle`` — or at the boundary after
    /// that, should the first end it less than ``shortestCycle`` after its start; otherwise it keeps its end
    /// and a ``bridge`` cycle leads to `newPolicy`'s next boundary, unless that bridge would be shorter than
    /// ``shortestCycle``: then the running cycle runs to the bridge's end instead. A `date` before `old`'s transition
    /// start counts as that start, so a change never drops the running transition. An unchanged policy
    /// returns `old` as it is.
    public static func changing(from old: CycleSchedule, to newPolicy: CyclePolicy, at date: Date) -> CycleSchedule {
        guard newPolicy != old.policy else { return old }
        var date = CyclePolicy.clamp(date)
        if let start = old.transition?.start { date = max(date, start) }
        let running = old.cycle(containing: date)
        // newPolicy's first boundary strictly after `instant` whose cycle does not share the running cycle's id.
        func boundary(after instant: Date) -> Date {
            let end = newPolicy.nextReset(after: instant)
            return newPolicy.cycle(containing: end).id == running.id ? newPolicy.nextReset(after: end) : end
        }
        var end = boundary(after: date)
        // A running cycle ended less than a day after its start would hand out a fresh limit within hours.
        if end.timeIntervalSince(running.start) < shortestCycle { end = boundary(after: end) }
        if end.timeIntervalSince(running.start) > longestCycle {
            end = running.end
            // A bridge shorter than a day would be a fresh limit for a few hours: the running cycle absorbs it.
            let kept = CycleSchedule(checkedPolicy: newPolicy, transition: Transition(id: running.id, start: running.start, end: end))
            if let bridge = kept.bridge, bridge.duration < shortestCycle,
               bridge.end.timeIntervalSince(running.start) <= longestTransition,
               newPolicy.cycle(containing: bridge.end).id != running.id {
                end = bridge.end
            }
        }
        return CycleSchedule(checkedPolicy: newPolicy, transition: Transition(id: running.id, start: running.start, end: end))
    }

    /// The bridge cycle between the ``transition`` and the policy's first cycle after it, if there is one.
    ///
    /// It exists when the transition kept its original end and that end is not a cycle start of the policy
    /// (or starts a cycle with the transition's id). It runs from the transition's end to the policy's first
    /// boundary strictly after it; its id is the local date of its start in the policy's time zone, or the
    /// day after should that be the transition's id.
    public var bridge: BillingCycle? {
        guard let transition else { return nil }
        let next = policy.cycle(containing: transition.end)
        if next.start == transition.end && next.id != transition.id { return nil }
        var id = policy.dayID(of: transition.end)
        if id == transition.id { id = policy.dayID(of: transition.end, addingDays: 1) }
        return BillingCycle(id: id, start: transition.end, end: next.end)
    }

    /// The cycle that contains `date`.
    public func cycle(containing date: Date) -> BillingCycle {
        guard let transition else { return policy.cycle(containing: date) }
        if date < transition.start {
            var cycle = policy.cycle(containing: date)
            cycle.end = min(cycle.end, transition.start)
            return cycle
        }
        if date < transition.end { return transition.cycle }
        if let bridge, date < bridge.end { return bridge }
        return policy.cycle(containing: date)
    }

    /// The cycle whose id is `id`.
    ///
    /// The transition and bridge cycles' ids take precedence over policy cycles with the same id.
    /// - Throws: ``CycleError`` with code ``CycleError/Code/invalidCycleID`` for a malformed id, or
    ///   ``CycleError/Code/notACycleStart`` when no cycle of this schedule starts on that date (including
    ///   policy cycles that would start inside the transition or bridge cycle).
    public func cycle(id: String) throws(CycleError) -> BillingCycle {
        guard let transition else { return try policy.cycle(id: id) }
        if id == transition.id { return transition.cycle }
        let bridge = self.bridge
        if let bridge, id == bridge.id { return bridge }
        var cycle = try policy.cycle(id: id)
        let firstPolicyStart = bridge?.end ?? transition.end
        if cycle.start >= transition.start && cycle.start < firstPolicyStart {
            throw CycleError(
                code: .notACycleStart,
                message: "no cycle starts on \(id): that time belongs to the transition cycle \(transition.id)"
                    + (bridge.map { " or the bridge cycle \($0.id)" } ?? "")
            )
        }
        if cycle.start < transition.start { cycle.end = min(cycle.end, transition.start) }
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
