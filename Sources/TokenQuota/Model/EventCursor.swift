/// A position in a tenant's recorded-event stream: a Redis stream id `<milliseconds>-<sequence>`.
/// Reading "since" a cursor returns the events after it (exclusive).
public struct EventCursor: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The id's millisecond part.
    public let milliseconds: UInt64
    /// The id's sequence part.
    public let sequence: UInt64

    /// The cursor before every event.
    public static let start = EventCursor(milliseconds: 0, sequence: 0)

    /// Creates a cursor.
    public init(milliseconds: UInt64, sequence: UInt64) {
        self.milliseconds = milliseconds
        self.sequence = sequence
    }

    /// Parses `<milliseconds>-<sequence>` (two decimal 64-bit unsigned integers); nil otherwise.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 20 && $0.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } }),
              let milliseconds = UInt64(parts[0]), let sequence = UInt64(parts[1])
        else { return nil }
        self.init(milliseconds: milliseconds, sequence: sequence)
    }

    /// `<milliseconds>-<sequence>`.
    public var description: String { "\(milliseconds)-\(sequence)" }

    public static func < (lhs: EventCursor, rhs: EventCursor) -> Bool {
        (lhs.milliseconds, lhs.sequence) < (rhs.milliseconds, rhs.sequence)
    }
}
