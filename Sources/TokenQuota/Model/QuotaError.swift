/// An error of the quota domain. The HTTP layer maps each code to one status.
public struct QuotaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        let raw: String
        /// A caller's argument is invalid (HTTP 400).
        public static let invalidArgument = Code(raw: "invalid_argument")
        /// The provider response could not be read (HTTP 422).
        public static let unparsableUsage = Code(raw: "unparsable_usage")
        /// A reservation or other object does not exist or expired (HTTP 404).
        public static let notFound = Code(raw: "not_found")
        /// The request conflicts with stored state, e.g. a reservation of another user (HTTP 409).
        public static let conflict = Code(raw: "conflict")
        /// Redis is unreachable or did not answer in time (HTTP 503); nothing was recorded.
        public static let unavailable = Code(raw: "unavailable")
        /// Redis may or may not have applied the write (HTTP 503); retrying with the same event id is safe.
        public static let outcomeUnknown = Code(raw: "outcome_unknown")
        /// Recording the event would push a stored total past what a 64-bit counter holds (HTTP 422);
        /// nothing was changed.
        public static let overflow = Code(raw: "overflow")
        /// Redis is out of memory (`OOM`) and refuses writes (HTTP 507); nothing was recorded.
        public static let storageFull = Code(raw: "storage_full")
        /// The user already holds the most active reservations allowed (HTTP 429 `too_many_reservations`).
        public static let tooManyReservations = Code(raw: "too_many_reservations")
        /// An input is larger than quotad reads (HTTP 413), e.g. a provider response above the parser's limit.
        public static let tooLarge = Code(raw: "too_large")
        /// The model has no price and a cost limit applies to the call (HTTP 422 `unpriced_model`); see
        /// ``UnpricedModelPolicy``.
        public static let unpricedModel = Code(raw: "unpriced_model")
        /// Stored data is not what the code expects (HTTP 500).
        public static let internalError = Code(raw: "internal_error")
        /// The snake_case code string.
        public var description: String { raw }
    }

    /// What went wrong.
    public var code: Code
    /// A message for humans.
    public var message: String
    /// What the error is about, when one value names it (the model of ``Code/unpricedModel``, the parser's
    /// code of ``Code/unparsableUsage``).
    public var subject: String?

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
