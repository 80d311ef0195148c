import Foundation
import Testing
import TokenAccounting

/// Issue 24: a time-zone change must not hand out a fresh budget for a few hours. Whatever the zone and
/// whenever in the cycle the change is made, the running cycle runs to a boundary of the new schedule (or,
/// where the new schedule's next boundary is too far, a bridge of at least a day leads there), no cycle
/// shorter than a day follows the change, and the cycles after it are the new schedule's.
@Suite struct CycleTimeZoneChangeTests {
    /// Zones behind and ahead of UTC, a 45-minute offset and a 30-minute daylight-saving shift.
    static let zones = ["America/New_York", "Asia/Tokyo", "Asia/Kathmandu", "Australia/Lord_Howe"]

    /// A local day less the largest daylight-saving shift of these zones: the shortest a cycle may be.
    static let shortestDay: TimeInterval = 23 * 3_600

    private static func at(_ text: String) -> Date {
        guard let date = ISO8601DateFormatter().date(from: text) else { preconditionFailure("bad timestamp \(text)") }
        return date
    }

    /// Instants of one cycle: its first second, its middle, and hours before its end.
    static func instants(of cycle: BillingCycle) -> [(name: String, date: Date)] {
        [
            ("start", cycle.start.addingTimeInterval(1)),
            ("middle", cycle.start.addingTimeInterval(cycle.duration / 2)),
            ("4 h before the end", cycle.end.addingTimeInterval(-4 * 3_600)),
            ("1 h before the end", cycle.end.addingTimeInterval(-3_600)),
        ]
    }

    // MARK: The issue's cases

    @Test func utcToNewYorkNoLongerBridgesFiveHours() throws {
        // The tenant's UTC cycle December 1 → January 1, then New York: the running cycle now runs to New York's
        // January 1 (05:00Z) instead of being followed by a five-hour bridge with a fresh limit.
        let newYork = try CyclePolicy(anchorDay: 1, timeZoneIdentifier: "America/New_York")
        for (name, date) in Self.instants(of: try CycleSchedule().cycle(id: "2026-12-01")) {
            let schedule = CycleSchedule.changing(from: CycleSchedule(), to: newYork, at: date)
            #expect(
                schedule.cycle(containing: date) == BillingCycle(id: "2026-12-01", start: Self.at("2026-12-01T00:00:00Z"), end: Self.at("2027-01-01T05:00:00Z")),
                "changed at the \(name)"
            )
            #expect(schedule.bridge == nil, "changed at the \(name)")
            #expect(schedule.cycle(containing: Self.at("2027-01-01T05:00:00Z")) == newYork.cycle(containing: Self.at("2027-01-01T05:00:00Z")))
        }
    }

    @Test func utcToTokyoOnThe15thStillBridgesAtLeastADay() throws {
        // Tokyo's 15th is December 14 15:00Z: reachable from the start of the cycle, too far (44 days) after it.
        let tokyo = try CyclePolicy(anchorDay: 15, timeZoneIdentifier: "Asia/Tokyo")
        let early = CycleSchedule.changing(from: CycleSchedule(), to: tokyo, at: Self.at("2026-12-01T00:00:01Z"))
        #expect(early.transition?.cycle == BillingCycle(id: "2026-12-01", start: Self.at("2026-12-01T00:00:00Z"), end: Self.at("2026-12-14T15:00:00Z")))
        #expect(early.bridge == nil)
        let late = CycleSchedule.changing(from: CycleSchedule(), to: tokyo, at: Self.at("2026-12-20T00:00:00Z"))
        #expect(late.transition?.cycle == BillingCycle(id: "2026-12-01", start: Self.at("2026-12-01T00:00:00Z"), end: Self.at("2027-01-01T00:00:00Z")))
        #expect(late.bridge == BillingCycle(id: "2027-01-01", start: Self.at("2027-01-01T00:00:00Z"), end: Self.at("2027-01-14T15:00:00Z")))
    }

    @Test func aChangeToTheNextDayAheadOfUTCNoLongerLeavesAFifteenHourCycle() throws {
        // UTC anchor 1 → Tokyo anchor 2 a second into December: Tokyo's December 2 starts at December 1 15:00Z,
        // which would end the running cycle after 15 hours and start a fresh one. It runs to Tokyo's January 2.
        let tokyo = try CyclePolicy(anchorDay: 2, timeZoneIdentifier: "Asia/Tokyo")
        let date = Self.at("2026-12-01T00:00:01Z")
        let schedule = CycleSchedule.changing(from: CycleSchedule(), to: tokyo, at: date)
        #expect(schedule.cycle(containing: date) == BillingCycle(id: "2026-12-01", start: Self.at("2026-12-01T00:00:00Z"), end: Self.at("2027-01-01T15:00:00Z")))
        #expect(Self.problems(changing: CycleSchedule(), to: tokyo, at: date).isEmpty)
    }

    // MARK: Every zone, both directions, several instants

    @Test(arguments: zones) func fromUTCToTheZone(zone: String) throws {
        var problems: [String] = []
        for anchor in [1, 15] {
            let newPolicy = try CyclePolicy(anchorDay: anchor, timeZoneIdentifier: zone)
            // December (no DST change in most of these zones) and March–April (Lord Howe's clocks go back 30 minutes).
            for id in ["2026-12-01", "2027-03-01", "2027-04-01"] {
                for (name, date) in Self.instants(of: try CycleSchedule().cycle(id: id)) {
                    problems += Self.problems(changing: CycleSchedule(), to: newPolicy, at: date).map { "UTC \(id) → \(zone) \(anchor) at the \(name): \($0)" }
                }
            }
        }
        #expect(problems.isEmpty, "\(problems.count) problems:\n\(problems.prefix(8).joined(separator: "\n"))")
    }

    @Test(arguments: zones) func fromTheZoneToUTC(zone: String) throws {
        var problems: [String] = []
        for anchor in [1, 15] {
            let old = CycleSchedule(policy: try CyclePolicy(anchorDay: anchor, timeZoneIdentifier: zone))
            for month in ["2026-12", "2027-03", "2027-04"] {
                let running = try old.cycle(id: "\(month)-\(anchor == 1 ? "01" : "15")")
                for (name, date) in Self.instants(of: running) {
                    for newPolicy in [CyclePolicy.calendarMonthUTC, try CyclePolicy(anchorDay: 15, timeZoneIdentifier: "UTC")] {
                        problems += Self.problems(changing: old, to: newPolicy, at: date)
                            .map { "\(zone) \(anchor) \(running.id) → UTC \(newPolicy.anchorDay) at the \(name): \($0)" }
                    }
                }
            }
        }
        #expect(problems.isEmpty, "\(problems.count) problems:\n\(problems.prefix(8).joined(separator: "\n"))")
    }

    @Test(arguments: zones) func betweenTheZones(zone: String) throws {
        var problems: [String] = []
        let old = CycleSchedule(policy: try CyclePolicy(anchorDay: 1, timeZoneIdentifier: zone))
        for other in Self.zones where other != zone {
            let newPolicy = try CyclePolicy(anchorDay: 1, timeZoneIdentifier: other)
            for (name, date) in Self.instants(of: try old.cycle(id: "2027-04-01")) {
                problems += Self.problems(changing: old, to: newPolicy, at: date).map { "\(zone) → \(other) at the \(name): \($0)" }
            }
        }
        #expect(problems.isEmpty, "\(problems.count) problems:\n\(problems.prefix(8).joined(separator: "\n"))")
    }

    // MARK: Helpers

    /// What is wrong with changing `old` to `newPolicy` at `date`, by the issue's guarantees.
    static func problems(changing old: CycleSchedule, to newPolicy: CyclePolicy, at date: Date) -> [String] {
        let new = CycleSchedule.changing(from: old, to: newPolicy, at: date)
        let before = old.cycle(containing: date)
        let running = new.cycle(containing: date)
        var problems: [String] = []
        if running.id != before.id || running.start != before.start {
            problems.append("the running cycle \(before) became \(running)")
        }
        // The running cycle, then (if any) a bridge of at least a day, end at a boundary of the new schedule.
        var cycle = running
        if let bridge = new.bridge, bridge.start == running.end { cycle = bridge }
        if !newPolicy.isCycleStart(cycle.end) { problems.append("\(cycle) does not end at a boundary of the new schedule") }
        // No cycle shorter than a day from the change on, none longer than 32 days, and then the new schedule's cycles.
        var later = [running]
        for _ in 0..<3 { later.append(new.cycle(containing: later[later.count - 1].end)) }
        for cycle in later {
            if cycle.duration < shortestDay { problems.append("\(cycle) lasts only \(cycle.duration / 3_600) h") }
            if cycle.duration > 32 * 86_400 { problems.append("\(cycle) lasts \(cycle.duration / 86_400) days") }
        }
        for cycle in later.drop(while: { $0.end <= (new.bridge?.end ?? new.transition?.end ?? $0.end) }) {
            if cycle != newPolicy.cycle(containing: cycle.start) { problems.append("\(cycle) is not a cycle of the new schedule") }
        }
        if later.dropFirst().first.map({ $0.start != running.end }) ?? false { problems.append("a gap after \(running)") }
        return problems
    }
}
