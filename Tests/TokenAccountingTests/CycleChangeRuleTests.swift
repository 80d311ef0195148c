import Foundation
import Testing
import TokenAccounting

/// The rule for changing a schedule's policy: the running cycle keeps its id and start, and no cycle of the
/// result is empty or longer than ``CycleSchedule/longestTransition``, and none from the running one on is
/// shorter than ``CycleSchedule/shortestCycle``.
@Suite struct CycleChangeRuleTests {
    private static let zones = [
        "UTC", "America/Los_Angeles", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Europe/Berlin", "Australia/Lord_Howe",
        "America/New_York",
    ]
    /// 2026-01-01T00:00:00Z and two years later.
    private static let firstDate = Date(timeIntervalSince1970: 1_767_225_600)
    private static let span: TimeInterval = 2 * 365 * 86_400

    private func at(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Date {
        try #require(ISO8601DateFormatter().date(from: text), "bad timestamp \(text)", sourceLocation: sourceLocation)
    }

    private func policy(_ anchor: Int, _ zone: String = "UTC") throws -> CyclePolicy {
        try CyclePolicy(anchorDay: anchor, timeZoneIdentifier: zone)
    }

    // MARK: Regressions

    @Test func aChangeJustAfterANewBoundaryNoLongerGivesA61DayCycle() throws {
        // Anchor 2 → anchor 1 one second into August: stretching the July 2 cycle to the next 1st (September 1)
        // gave it 61 days. It now keeps its end (August 2) and a 30-day bridge leads to September 1.
        let old = CycleSchedule(policy: try policy(2))
        let date = try at("2026-08-01T00:00:01Z")
        let schedule = CycleSchedule.changing(from: old, to: try policy(1), at: date)
        let running = BillingCycle(id: "2026-07-02", start: try at("2026-07-02T00:00:00Z"), end: try at("2026-08-02T00:00:00Z"))
        let bridge = BillingCycle(id: "2026-08-02", start: try at("2026-08-02T00:00:00Z"), end: try at("2026-09-01T00:00:00Z"))
        #expect(old.cycle(containing: date).id == running.id)
        #expect(schedule.transition?.cycle == running)
        #expect(schedule.bridge == bridge)
        #expect(schedule.cycle(containing: date) == running)
        #expect(schedule.cycle(containing: try at("2026-08-20T00:00:00Z")) == bridge)
        #expect(try schedule.cycle(id: "2026-08-02") == bridge)
        #expect(schedule.cycle(containing: bridge.end) == (try policy(1).cycle(id: "2026-09-01")))
        #expect(schedule.secondsUntilReset(from: try at("2026-08-31T23:00:00Z")) == 3600)
        #expect(Self.problems(of: schedule, around: date).isEmpty)
        // The policy cycle that would start inside the bridge is not part of the schedule.
        #expect { try schedule.cycle(id: "2026-08-01") } throws: { ($0 as? CycleError)?.code == .notACycleStart }
    }

    @Test func aLaterAnchorLateInTheCycleNoLongerGivesA45DayCycle() throws {
        // Anchor 1 → anchor 15 on March 20: March 1 to April 15 would be 45 days.
        let schedule = CycleSchedule.changing(from: CycleSchedule(), to: try policy(15), at: try at("2026-03-20T10:00:00Z"))
        #expect(schedule.transition?.cycle == BillingCycle(id: "2026-03-01", start: try at("2026-03-01T00:00:00Z"), end: try at("2026-04-01T00:00:00Z")))
        #expect(schedule.bridge == BillingCycle(id: "2026-04-01", start: try at("2026-04-01T00:00:00Z"), end: try at("2026-04-15T00:00:00Z")))
        #expect(schedule.cycle(containing: try at("2026-04-15T00:00:00Z")) == BillingCycle(id: "2026-04-15", start: try at("2026-04-15T00:00:00Z"), end: try at("2026-05-15T00:00:00Z")))
        #expect(Self.problems(of: schedule, around: try at("2026-03-20T10:00:00Z")).isEmpty)
    }

    @Test func aBridgeWhoseDateIsTheRunningCyclesIDTakesTheNextDay() throws {
        // UTC anchor 1 → anchor 2 at noon on March 1 leaves a one-day cycle "2026-03-01"; moving to Pago Pago
        // (UTC−11) an hour later keeps it (April 1 11:00Z would be too far) and bridges from March 2 00:00Z,
        // which is still March 1 in Pago Pago.
        let short = CycleSchedule.changing(from: CycleSchedule(), to: try policy(2), at: try at("2026-03-01T12:00:00Z"))
        #expect(short.transition?.cycle == BillingCycle(id: "2026-03-01", start: try at("2026-03-01T00:00:00Z"), end: try at("2026-03-02T00:00:00Z")))
        let date = try at("2026-03-01T13:00:00Z")
        let schedule = CycleSchedule.changing(from: short, to: try policy(1, "Pacific/Pago_Pago"), at: date)
        #expect(schedule.transition == short.transition)
        #expect(schedule.bridge == BillingCycle(id: "2026-03-02", start: try at("2026-03-02T00:00:00Z"), end: try at("2026-04-01T11:00:00Z")))
        #expect(Self.problems(of: schedule, around: date).isEmpty)
    }

    @Test func changingAgainDuringTheBridgeKeepsTheBridgesIDAndStart() throws {
        let first = CycleSchedule.changing(from: CycleSchedule(), to: try policy(15), at: try at("2026-03-20T00:00:00Z"))
        let date = try at("2026-04-10T00:00:00Z")
        let second = CycleSchedule.changing(from: first, to: try policy(28, "Europe/Berlin"), at: date)
        // The bridge April 1–15 is running; Berlin's April 28 (22:00Z on the 27th) is within reach.
        #expect(second.transition?.cycle == BillingCycle(id: "2026-04-01", start: try at("2026-04-01T00:00:00Z"), end: try at("2026-04-27T22:00:00Z")))
        #expect(second.bridge == nil)
        #expect(Self.problems(of: second, around: date).isEmpty)
    }

    @Test func aChangeDatedBeforeTheTransitionKeepsTheTransition() throws {
        // Another instance's clock a second behind: the change counts as made when the transition started.
        let first = CycleSchedule.changing(from: CycleSchedule(), to: try policy(15), at: try at("2026-03-20T00:00:00Z"))
        let second = CycleSchedule.changing(from: first, to: try policy(10), at: try at("2026-02-28T23:59:59Z"))
        #expect(second.transition?.cycle == BillingCycle(id: "2026-03-01", start: try at("2026-03-01T00:00:00Z"), end: try at("2026-03-10T00:00:00Z")))
    }

    @Test func legacySchedulesDecodeToTheSameCycles() throws {
        // What the old rule stored for the 61-day case: an end on a policy boundary, so no bridge.
        let legacy = try CycleSchedule(
            policy: try policy(1),
            transition: .init(id: "2026-07-02", start: try at("2026-07-02T00:00:00Z"), end: try at("2026-09-01T00:00:00Z"))
        )
        #expect(legacy.bridge == nil)
        #expect(legacy.cycle(containing: try at("2026-08-15T00:00:00Z")) == legacy.transition?.cycle)
        #expect(legacy.cycle(containing: try at("2026-09-01T00:00:00Z")).id == "2026-09-01")
        #expect { try legacy.cycle(id: "2026-08-01") } throws: { ($0 as? CycleError)?.code == .notACycleStart }
    }

    // MARK: Properties

    @Test func oneChangeKeepsTheRunningCycleAndBoundsEveryCycle() throws {
        var random = SplitMix64(seed: 0x9_2026)
        var failures: [String] = []
        for anchor in 1...31 {
            for zone in Self.zones {
                let newPolicy = try policy(anchor, zone)
                for _ in 0..<8 {
                    let old = CycleSchedule(policy: try Self.randomPolicy(&random))
                    let date = Self.randomDate(&random, near: [old.policy, newPolicy])
                    _ = Self.change(old, to: newPolicy, at: date, failures: &failures)
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.count) failures, first: \(failures.prefix(5).joined(separator: "\n"))")
    }

    @Test(arguments: [2, 3]) func successiveChangesKeepTheRunningCycleAndBoundEveryCycle(changes: Int) throws {
        var random = SplitMix64(seed: 0x51_0000 + UInt64(changes))
        var failures: [String] = []
        for anchor in 1...31 {
            for zone in Self.zones {
                for _ in 0..<3 {
                    var schedule = CycleSchedule(policy: try Self.randomPolicy(&random))
                    var date = Self.randomDate(&random, near: [schedule.policy])
                    for step in 1...changes {
                        let newPolicy = step == changes ? try policy(anchor, zone) : try Self.randomPolicy(&random)
                        schedule = Self.change(schedule, to: newPolicy, at: date, failures: &failures)
                        // The next change: at once, within the same day, or up to ten weeks later (often in a bridge).
                        date += [0, 1, 3_600, Double(random.next() % 86_400), Double(random.next() % (70 * 86_400))][Int(random.next() % 5)]
                    }
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.count) failures, first: \(failures.prefix(5).joined(separator: "\n"))")
    }

    // MARK: Helpers

    /// Changes `old` to `newPolicy` at `date`, appending every broken guarantee to `failures`.
    private static func change(_ old: CycleSchedule, to newPolicy: CyclePolicy, at date: Date, failures: inout [String]) -> CycleSchedule {
        let new = CycleSchedule.changing(from: old, to: newPolicy, at: date)
        let before = old.cycle(containing: date)
        let after = new.cycle(containing: date)
        let context = "\(old.policy.anchorDay) \(old.policy.timeZoneIdentifier) \(old.transition.map { "\($0)" } ?? "") → \(newPolicy.anchorDay) \(newPolicy.timeZoneIdentifier) at \(date)"
        if after.id != before.id || after.start != before.start {
            failures.append("\(context): running cycle \(before) became \(after)")
        }
        failures += problems(of: new, around: date).map { "\(context): \($0)" }
        // A round trip through the stored fields (id, start and end in milliseconds) gives the same schedule.
        let stored = new.transition.map { CycleSchedule.Transition(id: $0.id, start: milliseconds($0.start), end: milliseconds($0.end)) }
        if (try? CycleSchedule(policy: new.policy, transition: stored)) != new {
            failures.append("\(context): \(new) does not survive storing its fields")
        }
        return new
    }

    private static func milliseconds(_ date: Date) -> Date {
        Date(timeIntervalSince1970: Double(Int((date.timeIntervalSince1970 * 1000).rounded())) / 1000)
    }

    /// What is wrong with `schedule`'s cycles from three before to three after the one containing `date`.
    private static func problems(of schedule: CycleSchedule, around date: Date) -> [String] {
        var problems: [String] = []
        let running = schedule.cycle(containing: date)
        var later = [running]
        for _ in 0..<3 {
            let last = later[later.count - 1]
            let next = schedule.cycle(containing: last.end)
            if next.start != last.end { problems.append("gap or overlap after \(last): \(next)") }
            later.append(next)
        }
        var earlier: [BillingCycle] = []
        var first = running
        for _ in 0..<3 {
            let previous = schedule.cycle(containing: first.start.addingTimeInterval(-0.001))
            if previous.end != first.start { problems.append("gap or overlap before \(first): \(previous)") }
            earlier.append(previous)
            first = previous
        }
        for cycle in earlier + later {
            if cycle.duration <= 0 || cycle.duration > CycleSchedule.longestTransition { problems.append("\(cycle) lasts \(cycle.duration / 3600) h") }
            if schedule.cycle(containing: cycle.start) != cycle { problems.append("\(cycle) does not contain its start") }
        }
        for cycle in later where cycle.duration < CycleSchedule.shortestCycle {
            problems.append("\(cycle) follows the change and lasts only \(cycle.duration / 3600) h")
        }
        if Set(later.map(\.id)).count != later.count { problems.append("repeated ids in \(later.map(\.id))") }
        for cycle in later where (try? schedule.cycle(id: cycle.id)) != cycle {
            problems.append("cycle(id: \(cycle.id)) is not \(cycle)")
        }
        let last = later[later.count - 1]
        if last != schedule.policy.cycle(containing: last.start) { problems.append("\(last) does not follow the policy") }
        return problems
    }

    private static func randomPolicy(_ random: inout SplitMix64) throws -> CyclePolicy {
        try CyclePolicy(anchorDay: Int(random.next() % 31) + 1, timeZoneIdentifier: zones[Int(random.next() % UInt64(zones.count))])
    }

    /// A date in 2026–2027: uniform, or (half the time) at or just after a boundary of one of `policies`.
    private static func randomDate(_ random: inout SplitMix64, near policies: [CyclePolicy]) -> Date {
        let uniform = firstDate.addingTimeInterval(Double(random.next() % UInt64(span)))
        guard random.next() % 2 == 0 else { return uniform }
        let policy = policies[Int(random.next() % UInt64(policies.count))]
        let boundary = policy.cycle(containing: uniform).start
        return boundary.addingTimeInterval([0, 1, 60, 3_600, 86_400 - 1][Int(random.next() % 5)])
    }
}
