/// Why a provider response could not be turned into a ``UsageRecord``.
///
/// One error type for every parser, carrying an extensible ``Code`` (compare it with `==`; do not assume the
/// list of codes is closed) and a human-readable message that names the offending field.
public struct UsageParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The class of a ``UsageParseError``.
    ///
    /// A struct rather than an enum so that new codes do not break callers' `switch` statements. The raw value
    /// is a stable snake_case identifier suitable for API error bodies and metric labels.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        /// The stable snake_case identifier of the code.
        public var rawValue: String
        /// Creates a code from its identifier.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// The body is not valid JSON (or not a valid server-sent event stream whose events are JSON), is
        /// empty, or is nested deeper than ``UsageParser/maximumNestingDepth``.
        public static let invalidJSON = Code(rawValue: "invalid_json")
        /// The body is not valid UTF-8.
        public static let invalidEncoding = Code(rawValue: "invalid_encoding")
        /// The body is larger than ``UsageParser/maximumBodySize``.
        public static let bodyTooLarge = Code(rawValue: "body_too_large")
        /// The response is well formed but carries no usage (for example a stream without its final usage chunk).
        public static let noUsage = Code(rawValue: "no_usage")
        /// A stream fragment: the events that carry part of the counts are missing (an Anthropic
        /// `message_delta` without its `message_start`), so recording it would under-count the call.
        public static let incompleteStream = Code(rawValue: "incomplete_stream")
        /// A usage count is negative, fractional, not a number, or larger than ``TokenUsage/maximumCount``, or a
        /// usage block has the wrong JSON type.
        public static let invalidCount = Code(rawValue: "invalid_count")
        /// The provider could not be detected from the body, or the given provider is not supported.
        public static let unknownProvider = Code(rawValue: "unknown_provider")
        /// The body is in another provider's format than the one named (an OpenAI-shaped usage sent as
        /// Anthropic's): read as the named one it would under-count.
        public static let providerMismatch = Code(rawValue: "provider_mismatch")
        /// The counts are individually valid but contradict each other once mapped to the canonical classes
        /// (for example more reasoning tokens than output tokens).
        public static let inconsistentCounts = Code(rawValue: "inconsistent_counts")

        /// The identifier, as in ``rawValue``.
        public var description: String { rawValue }
    }

    /// The class of the error.
    public var code: Code
    /// What is wrong, naming the field where one is at fault.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The code and the message, as `code: message`.
    public var description: String { "\(code.rawValue): \(message)" }
}
