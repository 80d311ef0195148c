/// A billing-cycle policy, schedule or cycle id that cannot be used.
public struct CycleError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem this is. Extensible: compare with the static members, do not switch exhaustively.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case invalidAnchorDay = "invalid_anchor_day"
            case unknownTimeZone = "unknown_time_zone"
            case invalidCycleID = "invalid_cycle_id"
            case notACycleStart = "not_a_cycle_start"
            case invalidTransition = "invalid_transition"
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The anchor day is outside 1...31.
        public static let invalidAnchorDay = Code(.invalidAnchorDay)
        /// The time zone identifier is not a known IANA zone.
        public static let unknownTimeZone = Code(.unknownTimeZone)
        /// A cycle id is not a `yyyy-MM-dd` date within the supported years.
        public static let invalidCycleID = Code(.invalidCycleID)
        /// A cycle id is a date, but no cycle of the policy or schedule starts on it.
        public static let notACycleStart = Code(.notACycleStart)
        /// A schedule's transition cycle is inconsistent with its policy.
        public static let invalidTransition = Code(.invalidTransition)

        /// A stable snake_case name of the code.
        public var description: String { base.rawValue }
    }

    /// What kind of problem this is.
    public var code: Code
    /// A human-readable explanation.
    public var message: String

    /// Creates an error.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
