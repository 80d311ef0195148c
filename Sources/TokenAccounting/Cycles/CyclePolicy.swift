public import Foundation

/// When billing cycles start: at 00:00 local time, in a time zone, on an anchor day of every month.
///
/// A cycle starts at the start of the anchor day (clamped to the month's last day, so anchor 31 gives
/// Jan 31, Feb 28/29, Mar 31, Apr 30, ...) and ends where the next one starts. Cycles follow the time zone's
/// daylight-saving rules: a cycle spanning a DST change is an hour shorter or longer than a whole number of
/// days, and where a zone skips midnight the cycle starts at the first instant of the day.
///
/// Instants are handled within ``supportedDates`` (years 1900 to 9998); instants outside are clamped to it.
public struct CyclePolicy: Sendable, Hashable, Codable {
    /// The day of the month cycles start on, 1...31; clamped to the last day of shorter months.
    public let anchorDay: Int
    /// The IANA identifier of the time zone whose local midnight starts a cycle (for example `"UTC"` or
    /// `"Europe/Berlin"`).
    public let timeZoneIdentifier: String
    /// The time zone named by ``timeZoneIdentifier``.
    public let timeZone: TimeZone

    /// Calendar months in UTC: cycles start at 00:00 UTC on the 1st.
    public static let calendarMonthUTC = CyclePolicy(checkedAnchorDay: 1, timeZone: TimeZone(identifier: "UTC") ?? .gmt, identifier: "UTC")

    /// The instants cycles are computed for: 1900-01-01T00:00:00Z up to 9999-01-01T00:00:00Z.
    public static let supportedDates: ClosedRange<Date> =
        Date(timeIntervalSince1970: -2_208_988_800)...Date(timeIntervalSince1970: 253_370_764_800)

    /// Creates a policy, checking it.
    ///
    /// - Parameters:
    ///   - anchorDay: The day of the month cycles start on, 1...31.
    ///   - timeZoneIdentifier: An IANA time zone identifier known to the system.
    /// - Throws: ``CycleError`` with code ``CycleError/Code/invalidAnchorDay`` or
    ///   ``CycleError/Code/unknownTimeZone``.
    public init(anchorDay: Int = 1, timeZoneIdentifier: String = "UTC") throws(CycleError) {
        guard (1...31).contains(anchorDay) else {
            throw CycleError(code: .invalidAnchorDay, message: "anchor day must be between 1 and 31 (got \(anchorDay))")
        }
        guard !timeZoneIdentifier.isEmpty, let zone = TimeZone(identifier: timeZoneIdentifier) else {
            throw CycleError(code: .unknownTimeZone, message: "unknown time zone '\(timeZoneIdentifier)' (expected an IANA name such as Europe/Berlin)")
        }
        self.init(checkedAnchorDay: anchorDay, timeZone: zone, identifier: timeZoneIdentifier)
    }

    private init(checkedAnchorDay anchorDay: Int, timeZone: TimeZone, identifier: String) {
        self.anchorDay = anchorDay
        self.timeZoneIdentifier = identifier
        self.timeZone = timeZone
    }

    // MARK: Cycles

    /// The cycle that contains `date`.
    public func cycle(containing date: Date) -> BillingCycle {
        let calendar = makeCalendar()
        let clamped = Self.clamp(date)
        let local = calendar.dateComponents([.year, .month], from: clamped)
        var month = YearMonth(year: local.year ?? 1970, month: local.month ?? 1)
        if clamped < start(of: month, calendar) { month = month.previous }
        return cycle(of: month, calendar)
    }

    /// The cycle whose id is `id`.
    ///
    /// - Parameter id: A local date `yyyy-MM-dd` on which a cycle of this policy starts.
    /// - Throws: ``CycleError`` with code ``CycleError/Code/invalidCycleID`` when `id` is not such a date in
    ///   the supported years, or ``CycleError/Code/notACycleStart`` when no cycle starts on that date.
    public func cycle(id: String) throws(CycleError) -> BillingCycle {
        let date = try Self.parse(id: id)
        let month = YearMonth(year: date.year, month: date.month)
        guard date.day == clampedAnchor(in: month) else {
            throw CycleError(
                code: .notACycleStart,
                message: "no cycle starts on \(id): cycles start on day \(clampedAnchor(in: month)) of that month"
            )
        }
        return cycle(of: month, makeCalendar())
    }

    /// The first cycle boundary strictly after `date`: the end of the cycle containing it.
    public func nextReset(after date: Date) -> Date {
        cycle(containing: date).end
    }

    /// Whole seconds from `date` until ``nextReset(after:)``, rounded up; at least 1.
    public func secondsUntilReset(from date: Date) -> Int {
        let from = Self.clamp(date)
        return max(1, Int(nextReset(after: from).timeIntervalSince(from).rounded(.up)))
    }

    /// Whether a cycle of this policy starts exactly at `date`.
    public func isCycleStart(_ date: Date) -> Bool {
        cycle(containing: date).start == date
    }

    // MARK: Calendar arithmetic

    /// A month of the Gregorian calendar.
    struct YearMonth: Hashable {
        var year: Int
        var month: Int

        var previous: YearMonth { month == 1 ? YearMonth(year: year - 1, month: 12) : YearMonth(year: year, month: month - 1) }
        var next: YearMonth { month == 12 ? YearMonth(year: year + 1, month: 1) : YearMonth(year: year, month: month + 1) }

        var dayCount: Int {
            switch month {
            case 2:
                let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
                return leap ? 29 : 28
            case 4, 6, 9, 11: return 30
            default: return 31
            }
        }
    }

    private func makeCalendar() -> Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar
    }

    private func clampedAnchor(in month: YearMonth) -> Int {
        min(anchorDay, month.dayCount)
    }

    private func cycle(of month: YearMonth, _ calendar: Calendar) -> BillingCycle {
        BillingCycle(
            id: Self.id(year: month.year, month: month.month, day: clampedAnchor(in: month)),
            start: start(of: month, calendar),
            end: start(of: month.next, calendar)
        )
    }

    /// The start of the cycle that begins in `month`: the first instant of its (clamped) anchor day.
    private func start(of month: YearMonth, _ calendar: Calendar) -> Date {
        // Noon exists on every day; the start of its day is midnight, or the first instant after a skipped midnight.
        let noon = DateComponents(year: month.year, month: month.month, day: clampedAnchor(in: month), hour: 12)
        guard let date = calendar.date(from: noon) else {
            preconditionFailure("the Gregorian calendar cannot represent \(month.year)-\(month.month) in \(timeZoneIdentifier)")
        }
        return calendar.startOfDay(for: date)
    }

    /// The id-formatted local date (`yyyy-MM-dd`, in this policy's time zone) of `date`, `days` days later.
    func dayID(of date: Date, addingDays days: Int = 0) -> String {
        let local = makeCalendar().dateComponents([.year, .month, .day], from: Self.clamp(date))
        var month = YearMonth(year: local.year ?? 1970, month: local.month ?? 1)
        var day = (local.day ?? 1) + days
        while day > month.dayCount {
            day -= month.dayCount
            month = month.next
        }
        return Self.id(year: month.year, month: month.month, day: day)
    }

    /// `date` moved into ``supportedDates``.
    static func clamp(_ date: Date) -> Date {
        min(max(date, supportedDates.lowerBound), supportedDates.upperBound)
    }

    /// Formats a cycle id, `yyyy-MM-dd`.
    static func id(year: Int, month: Int, day: Int) -> String {
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    /// Parses a cycle id `yyyy-MM-dd` with a year in 1900...9998 and a real calendar date.
    static func parse(id: String) throws(CycleError) -> (year: Int, month: Int, day: Int) {
        let bytes = Array(id.utf8)
        let isDigit: (UInt8) -> Bool = { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
        func number(_ range: Range<Int>) -> Int {
            bytes[range].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        }
        let invalid = CycleError(code: .invalidCycleID, message: "cycle id must be a date yyyy-MM-dd between 1900 and 9998 (got \"\(id)\")")
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              bytes.indices.allSatisfy({ $0 == 4 || $0 == 7 || isDigit(bytes[$0]) })
        else { throw invalid }
        let (year, month, day) = (number(0..<4), number(5..<7), number(8..<10))
        guard (1900...9998).contains(year), (1...12).contains(month),
              (1...YearMonth(year: year, month: month).dayCount).contains(day)
        else { throw invalid }
        return (year, month, day)
    }

    // MARK: Hashable, Codable

    public static func == (lhs: CyclePolicy, rhs: CyclePolicy) -> Bool {
        lhs.anchorDay == rhs.anchorDay && lhs.timeZoneIdentifier == rhs.timeZoneIdentifier
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(anchorDay)
        hasher.combine(timeZoneIdentifier)
    }

    enum CodingKeys: String, CodingKey {
        case anchorDay = "anchor_day"
        case timeZoneIdentifier = "time_zone"
    }

    /// Decodes `{"anchor_day": 1, "time_zone": "UTC"}`, checking it like ``init(anchorDay:timeZoneIdentifier:)``.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let anchorDay = try container.decode(Int.self, forKey: .anchorDay)
        let identifier = try container.decode(String.self, forKey: .timeZoneIdentifier)
        do {
            try self.init(anchorDay: anchorDay, timeZoneIdentifier: identifier)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message, underlyingError: error))
        }
    }

    /// Encodes `{"anchor_day": ..., "time_zone": ...}`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(anchorDay, forKey: .anchorDay)
        try container.encode(timeZoneIdentifier, forKey: .timeZoneIdentifier)
    }
}
