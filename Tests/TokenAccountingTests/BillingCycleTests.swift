import Foundation
import Testing
import TokenAccounting

/// An instant from an ISO 8601 UTC timestamp such as `2026-10-31T23:00:00Z`.
private func at(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Date {
    try #require(ISO8601DateFormatter().date(from: text), "bad timestamp \(text)", sourceLocation: sourceLocation)
}

private let hour: TimeInterval = 3600
private let day: TimeInterval = 86_400

@Suite struct BillingCycleTests {
    private func policy(_ anchor: Int, _ zone: String = "UTC") throws -> CyclePolicy {
        try CyclePolicy(anchorDay: anchor, timeZoneIdentifier: zone)
    }

    /// The ids of `count` consecutive cycles starting with the one containing `date`.
    private func ids(_ policy: CyclePolicy, from date: Date, count: Int) -> [String] {
        var cycle = policy.cycle(containing: date)
        var ids = [cycle.id]
        for _ in 1..<count {
            cycle = policy.cycle(containing: cycle.end)
            ids.append(cycle.id)
        }
        return ids
    }

    // MARK: Policy

    @Test func calendarMonthUTCIsTheDefault() throws {
        #expect(CyclePolicy.calendarMonthUTC == (try CyclePolicy()))
        #expect(CyclePolicy.calendarMonthUTC.anchorDay == 1 && CyclePolicy.calendarMonthUTC.timeZoneIdentifier == "UTC")
        let cycle = CyclePolicy.calendarMonthUTC.cycle(containing: try at("2026-11-15T12:34:56Z"))
        #expect(cycle == BillingCycle(id: "2026-11-01", start: try at("2026-11-01T00:00:00Z"), end: try at("2026-12-01T00:00:00Z")))
        #expect(cycle.duration == 30 * day)
    }

    @Test func invalidPoliciesAreRejected() {
        #expect { try CyclePolicy(anchorDay: 0) } throws: { ($0 as? CycleError)?.code == .invalidAnchorDay }
        #expect { try CyclePolicy(anchorDay: 32) } throws: { ($0 as? CycleError)?.code == .invalidAnchorDay }
        #expect { try CyclePolicy(timeZoneIdentifier: "Mars/Olympus_Mons") } throws: { ($0 as? CycleError)?.code == .unknownTimeZone }
        #expect { try CyclePolicy(timeZoneIdentifier: "") } throws: { ($0 as? CycleError)?.code == .unknownTimeZone }
    }

    @Test func policiesRoundTripThroughJSONAndAreCheckedWhenDecoded() throws {
        let policy = try policy(31, "Europe/Berlin")
        let data = try JSONEncoder().encode(policy)
        #expect(String(decoding: data, as: UTF8.self).contains(#""anchor_day":31"#))
        #expect(try JSONDecoder().decode(CyclePolicy.self, from: data) == policy)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(CyclePolicy.self, from: Data(#"{"anchor_day":0,"time_zone":"UTC"}"#.utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(CyclePolicy.self, from: Data(#"{"anchor_day":1,"time_zone":"Nowhere/Town"}"#.utf8)) }
    }

    // MARK: Anchors past the end of short months

    @Test func anchor31ClampsThroughFebruary() throws {
        let anchor31 = try policy(31)
        #expect(ids(anchor31, from: try at("2028-01-31T00:00:00Z"), count: 5) == ["2028-01-31", "2028-02-29", "2028-03-31", "2028-04-30", "2028-05-31"])
        #expect(ids(anchor31, from: try at("2027-01-31T00:00:00Z"), count: 3) == ["2027-01-31", "2027-02-28", "2027-03-31"])

        let january = anchor31.cycle(containing: try at("2028-02-15T00:00:00Z"))
        #expect(january == BillingCycle(id: "2028-01-31", start: try at("2028-01-31T00:00:00Z"), end: try at("2028-02-29T00:00:00Z")))
        #expect(january.duration == 29 * day)
        let february = anchor31.cycle(containing: try at("2028-02-29T00:00:00Z"))
        #expect(february.end == (try at("2028-03-31T00:00:00Z")))
        #expect(february.duration == 31 * day)
        // Just before the clamped start the January cycle is still running.
        #expect(anchor31.cycle(containing: try at("2028-02-28T23:59:59Z")).id == "2028-01-31")
        #expect(anchor31.cycle(containing: try at("2027-02-28T00:00:00Z")).id == "2027-02-28")
        #expect(anchor31.cycle(containing: try at("2027-03-30T12:00:00Z")).id == "2027-02-28")
    }

    @Test func anchors30And29ClampLikeWise() throws {
        #expect(ids(try policy(30), from: try at("2028-01-30T00:00:00Z"), count: 3) == ["2028-01-30", "2028-02-29", "2028-03-30"])
        #expect(ids(try policy(30), from: try at("2027-01-30T00:00:00Z"), count: 3) == ["2027-01-30", "2027-02-28", "2027-03-30"])
        #expect(ids(try policy(29), from: try at("2028-01-29T00:00:00Z"), count: 3) == ["2028-01-29", "2028-02-29", "2028-03-29"])
        #expect(ids(try policy(29), from: try at("2027-01-29T00:00:00Z"), count: 3) == ["2027-01-29", "2027-02-28", "2027-03-29"])
        // The century rule: 2100 is not a leap year.
        #expect(ids(try policy(29), from: try at("2100-01-29T00:00:00Z"), count: 2) == ["2100-01-29", "2100-02-28"])
    }

    // MARK: Year boundary

    @Test func cyclesCrossTheYearBoundary() throws {
        let utc = CyclePolicy.calendarMonthUTC
        #expect(utc.cycle(containing: try at("2026-12-31T23:59:59Z")).id == "2026-12-01")
        #expect(utc.cycle(containing: try at("2027-01-01T00:00:00Z")) == BillingCycle(id: "2027-01-01", start: try at("2027-01-01T00:00:00Z"), end: try at("2027-02-01T00:00:00Z")))
        let anchor15 = try policy(15)
        #expect(anchor15.cycle(containing: try at("2027-01-03T00:00:00Z")) == BillingCycle(id: "2026-12-15", start: try at("2026-12-15T00:00:00Z"), end: try at("2027-01-15T00:00:00Z")))
        #expect(ids(try policy(31), from: try at("2026-12-31T00:00:00Z"), count: 2) == ["2026-12-31", "2027-01-31"])
    }

    // MARK: Time zones and daylight saving

    @Test func berlinCyclesStartAtLocalMidnight() throws {
        let berlin = try policy(1, "Europe/Berlin")
        let november = berlin.cycle(containing: try at("2026-11-10T00:00:00Z"))
        #expect(november.id == "2026-11-01")
        #expect(november.start == (try at("2026-10-31T23:00:00Z")))  // 00:00 CET
        // October: 00:00 CEST to 00:00 CET, one hour longer than 31 days (DST ends Oct 25).
        let october = berlin.cycle(containing: try at("2026-10-15T00:00:00Z"))
        #expect(october == BillingCycle(id: "2026-10-01", start: try at("2026-09-30T22:00:00Z"), end: try at("2026-10-31T23:00:00Z")))
        #expect(october.duration == 31 * day + hour)
        // March: DST starts Mar 29, one hour shorter.
        let march = berlin.cycle(containing: try at("2026-03-15T00:00:00Z"))
        #expect(march == BillingCycle(id: "2026-03-01", start: try at("2026-02-28T23:00:00Z"), end: try at("2026-03-31T22:00:00Z")))
        #expect(march.duration == 31 * day - hour)
        // An instant that is already November in Berlin but still October in UTC.
        #expect(berlin.cycle(containing: try at("2026-10-31T23:30:00Z")).id == "2026-11-01")
        #expect(berlin.cycle(containing: try at("2026-10-31T22:59:59Z")).id == "2026-10-01")
    }

    @Test func newYorkCyclesFollowDaylightSaving() throws {
        let newYork = try policy(1, "America/New_York")
        // DST ends Nov 1 2026 at 02:00, after that day's midnight (still EDT).
        let october = newYork.cycle(containing: try at("2026-10-20T00:00:00Z"))
        #expect(october == BillingCycle(id: "2026-10-01", start: try at("2026-10-01T04:00:00Z"), end: try at("2026-11-01T04:00:00Z")))
        #expect(october.duration == 31 * day)
        let november = newYork.cycle(containing: try at("2026-11-20T00:00:00Z"))
        #expect(november.end == (try at("2026-12-01T05:00:00Z")))
        #expect(november.duration == 30 * day + hour)
        // DST starts Mar 8 2026.
        let march = newYork.cycle(containing: try at("2026-03-20T00:00:00Z"))
        #expect(march == BillingCycle(id: "2026-03-01", start: try at("2026-03-01T05:00:00Z"), end: try at("2026-04-01T04:00:00Z")))
        #expect(march.duration == 31 * day - hour)
        // A cycle that starts on the day DST begins starts at that day's (EST) midnight.
        let anchor8 = try policy(8, "America/New_York")
        #expect(anchor8.cycle(containing: try at("2026-03-20T00:00:00Z")).start == (try at("2026-03-08T05:00:00Z")))
        #expect(anchor8.cycle(containing: try at("2026-03-20T00:00:00Z")).duration == 31 * day - hour)
    }

    @Test func aSkippedMidnightStartsTheCycleAtTheDaysFirstInstant() throws {
        // São Paulo moved its clocks from 00:00 to 01:00 on 2018-11-04.
        let saoPaulo = try policy(4, "America/Sao_Paulo")
        let cycle = saoPaulo.cycle(containing: try at("2018-11-10T00:00:00Z"))
        #expect(cycle.id == "2018-11-04")
        #expect(cycle.start == (try at("2018-11-04T03:00:00Z")))  // 01:00 -02:00
    }

    // MARK: Ids

    @Test func cycleIDsRoundTrip() throws {
        for (anchor, zone) in [(1, "UTC"), (31, "Europe/Berlin"), (29, "America/New_York"), (15, "Asia/Kolkata"), (30, "Pacific/Auckland")] {
            let policy = try policy(anchor, zone)
            var date = try at("2027-10-03T07:00:00Z")
            for _ in 0..<20 {
                let cycle = policy.cycle(containing: date)
                #expect(cycle.contains(date))
                #expect(try policy.cycle(id: cycle.id) == cycle)
                #expect(policy.isCycleStart(cycle.start))
                #expect(policy.cycle(containing: cycle.end).start == cycle.end)
                date = cycle.end.addingTimeInterval(11 * day)
            }
        }
    }

    @Test func idsThatAreNotCycleStartsAreRejected() throws {
        let anchor31 = try policy(31)
        #expect { try anchor31.cycle(id: "2028-02-28") } throws: { ($0 as? CycleError)?.code == .notACycleStart }
        #expect { try anchor31.cycle(id: "2028-03-30") } throws: { ($0 as? CycleError)?.code == .notACycleStart }
        #expect(try anchor31.cycle(id: "2028-02-29").end == (try at("2028-03-31T00:00:00Z")))
        for bad in ["2027-02-29", "2027-02-30", "2027-2-01", "2027-13-01", "2027-00-10", "abcd-ef-gh", "1899-12-01", "20270101", "2027-01-01T00:00:00Z", ""] {
            #expect(throws: CycleError.self, "\(bad)") { try anchor31.cycle(id: bad) }
        }
        #expect { try CyclePolicy.calendarMonthUTC.cycle(id: "2027/01/01") } throws: { ($0 as? CycleError)?.code == .invalidCycleID }
    }

    // MARK: Resets

    @Test func nextResetAndSecondsUntilReset() throws {
        let utc = CyclePolicy.calendarMonthUTC
        let end = try at("2026-12-01T00:00:00Z")
        #expect(utc.nextReset(after: try at("2026-11-30T23:00:00Z")) == end)
        #expect(utc.secondsUntilReset(from: try at("2026-11-30T23:00:00Z")) == 3600)
        #expect(utc.secondsUntilReset(from: end.addingTimeInterval(-0.2)) == 1)
        #expect(utc.secondsUntilReset(from: end.addingTimeInterval(-1.5)) == 2)
        // At a boundary, the next reset is the following one.
        #expect(utc.nextReset(after: end) == (try at("2027-01-01T00:00:00Z")))
        #expect(utc.secondsUntilReset(from: end) == 31 * 86_400)
        // Absurd instants are clamped rather than trapping.
        #expect(utc.secondsUntilReset(from: Date(timeIntervalSince1970: -1e300)) >= 1)
        #expect(utc.secondsUntilReset(from: Date(timeIntervalSince1970: 1e300)) >= 1)
    }

    // MARK: Schedules and anchor changes

    @Test func aLaterAnchorGivesALongerTransitionCycleWithinTheLongestCycle() throws {
        // February 1 → March 3 is 30 days: the running cycle stretches to the new anchor.
        let schedule = CycleSchedule.changing(from: CycleSchedule(), to: try policy(3), at: try at("2026-02-10T10:00:00Z"))
        let transition = try #require(schedule.transition)
        #expect(transition.cycle == BillingCycle(id: "2026-02-01", start: try at("2026-02-01T00:00:00Z"), end: try at("2026-03-03T00:00:00Z")))
        #expect(schedule.bridge == nil)
        #expect(schedule.cycle(containing: try at("2026-03-01T00:00:00Z")).id == "2026-02-01")
        #expect(schedule.cycle(containing: try at("2026-03-03T00:00:00Z")) == BillingCycle(id: "2026-03-03", start: try at("2026-03-03T00:00:00Z"), end: try at("2026-04-03T00:00:00Z")))
        #expect(schedule.nextReset(after: try at("2026-02-10T10:00:00Z")) == (try at("2026-03-03T00:00:00Z")))
        #expect(schedule.secondsUntilReset(from: try at("2026-03-02T23:59:00Z")) == 60)
        // The new policy's cycle that would start inside the transition does not exist.
        #expect { try schedule.cycle(id: "2026-02-03") } throws: { ($0 as? CycleError)?.code == .notACycleStart }
        #expect(try schedule.cycle(id: "2026-02-01") == transition.cycle)
        #expect(try schedule.cycle(id: "2026-03-03").end == (try at("2026-04-03T00:00:00Z")))
    }

    @Test func anEarlierAnchorGivesAShorterTransitionCycle() throws {
        let schedule = CycleSchedule.changing(from: CycleSchedule(), to: try policy(15), at: try at("2026-03-10T12:00:00Z"))
        #expect(schedule.transition?.cycle == BillingCycle(id: "2026-03-01", start: try at("2026-03-01T00:00:00Z"), end: try at("2026-03-15T00:00:00Z")))
        #expect(schedule.cycle(containing: try at("2026-03-14T23:59:59Z")).id == "2026-03-01")
        #expect(schedule.cycle(containing: try at("2026-03-15T00:00:00Z")).id == "2026-03-15")
        // Before the transition the new policy applies, cut off where the transition starts.
        let before = schedule.cycle(containing: try at("2026-02-20T00:00:00Z"))
        #expect(before == BillingCycle(id: "2026-02-15", start: try at("2026-02-15T00:00:00Z"), end: try at("2026-03-01T00:00:00Z")))
        #expect(try schedule.cycle(id: "2026-02-15") == before)
        #expect(try schedule.cycle(id: "2026-01-15").end == (try at("2026-02-15T00:00:00Z")))
    }

    @Test func aChangeAtABoundaryAndRepeatedChanges() throws {
        let utc = CycleSchedule()
        // Changing exactly when a cycle starts: the just-started cycle runs to the new policy's next boundary.
        let atBoundary = CycleSchedule.changing(from: utc, to: try policy(10), at: try at("2026-05-01T00:00:00Z"))
        #expect(atBoundary.transition?.cycle == BillingCycle(id: "2026-05-01", start: try at("2026-05-01T00:00:00Z"), end: try at("2026-05-10T00:00:00Z")))
        // Changing again during the transition keeps its id and start.
        let again = CycleSchedule.changing(from: atBoundary, to: try policy(20), at: try at("2026-05-05T00:00:00Z"))
        #expect(again.transition?.cycle == BillingCycle(id: "2026-05-01", start: try at("2026-05-01T00:00:00Z"), end: try at("2026-05-20T00:00:00Z")))
        #expect(again.policy.anchorDay == 20)
        // An unchanged policy changes nothing.
        #expect(CycleSchedule.changing(from: atBoundary, to: try policy(10), at: try at("2026-05-05T00:00:00Z")) == atBoundary)
        #expect(CycleSchedule.changing(from: utc, to: .calendarMonthUTC, at: try at("2026-05-05T00:00:00Z")) == utc)
    }

    @Test func aTimeZoneChangeNeverGivesTwoConsecutiveCyclesTheSameID() throws {
        // UTC → New York one second into January: New York's next boundary (05:00Z) would start another
        // "2026-01-01" cycle, and the one after (February 1 05:00Z) is more than 31 days and an hour away. A
        // five-hour bridge from February 1 00:00Z would hand out a fresh limit for five hours (issue 24), so the
        // running cycle absorbs it and runs to New York's February 1; the next cycle is "2026-02-01".
        let schedule = CycleSchedule.changing(from: CycleSchedule(), to: try policy(1, "America/New_York"), at: try at("2026-01-01T00:00:01Z"))
        #expect(schedule.transition?.cycle == BillingCycle(id: "2026-01-01", start: try at("2026-01-01T00:00:00Z"), end: try at("2026-02-01T05:00:00Z")))
        #expect(schedule.bridge == nil)
        #expect(schedule.cycle(containing: try at("2026-02-01T05:00:00Z")).id == "2026-02-01")
    }

    @Test func schedulesWithoutATransitionFollowThePolicy() throws {
        let berlin = try policy(1, "Europe/Berlin")
        let schedule = CycleSchedule(policy: berlin)
        for text in ["2026-03-15T00:00:00Z", "2026-10-31T23:00:00Z", "2027-01-01T00:00:00Z"] {
            let date = try at(text)
            #expect(schedule.cycle(containing: date) == berlin.cycle(containing: date))
            #expect(schedule.nextReset(after: date) == berlin.nextReset(after: date))
            #expect(schedule.secondsUntilReset(from: date) == berlin.secondsUntilReset(from: date))
        }
        #expect(try schedule.cycle(id: "2026-11-01") == (try berlin.cycle(id: "2026-11-01")))
    }

    @Test func schedulesAreCheckedAndRoundTripThroughJSON() throws {
        let changed = CycleSchedule.changing(from: CycleSchedule(), to: try policy(15, "Europe/Berlin"), at: try at("2026-03-20T10:00:00Z"))
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        #expect(try decoder.decode(CycleSchedule.self, from: encoder.encode(changed)) == changed)
        #expect(try decoder.decode(CycleSchedule.self, from: encoder.encode(CycleSchedule())) == CycleSchedule())

        let policy = try policy(15)
        let start = try at("2026-03-01T00:00:00Z")
        // An end off the policy's boundaries is followed by a bridge to the next one.
        let bridged = try CycleSchedule(policy: policy, transition: .init(id: "2026-03-01", start: start, end: try at("2026-04-14T00:00:00Z")))
        #expect(bridged.bridge == BillingCycle(id: "2026-04-14", start: try at("2026-04-14T00:00:00Z"), end: try at("2026-04-15T00:00:00Z")))
        #expect(try decoder.decode(CycleSchedule.self, from: encoder.encode(bridged)) == bridged)
        // A bridge that would share the next cycle's id ("2026-04-14" is taken, "2026-04-15" starts next).
        #expect { try CycleSchedule(policy: policy, transition: .init(id: "2026-04-14", start: start, end: try at("2026-04-14T12:00:00Z"))) } throws: {
            ($0 as? CycleError)?.code == .invalidTransition
        }
        #expect(throws: CycleError.self) { try CycleSchedule(policy: policy, transition: .init(id: "2026-03-01", start: try at("2026-04-15T00:00:00Z"), end: try at("2026-04-15T00:00:00Z"))) }
        #expect(throws: CycleError.self) { try CycleSchedule(policy: policy, transition: .init(id: "March", start: start, end: try at("2026-04-15T00:00:00Z"))) }
        #expect(throws: Never.self) { try CycleSchedule(policy: policy, transition: .init(id: "2026-03-01", start: start, end: try at("2026-04-15T00:00:00Z"))) }

        let bad = #"{"policy":{"anchor_day":15,"time_zone":"UTC"},"transition":{"id":"2026-03-01","start":"2026-04-15T00:00:00Z","end":"2026-04-14T00:00:00Z"}}"#
        #expect(throws: DecodingError.self) { try decoder.decode(CycleSchedule.self, from: Data(bad.utf8)) }
    }
}
