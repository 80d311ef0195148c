public import TokenAccounting

/// The body of `POST …/usage` (one item of a batch, or a reservation commit).
public struct UsageRequest: Sendable, Decodable {
    /// The end user (optional only for commits, where the reservation names the owner).
    public var user: String?
    /// The idempotency key (defaults to the reservation id for commits).
    public var eventID: String?
    /// The provider (`openai`, `anthropic`, ...).
    public var provider: String?
    /// The model; wins over the model named in `response`.
    public var model: String?
    /// The provider's raw response: a JSON value, or SSE/JSON text as a string.
    public var response: JSONFragment?
    /// Canonical counts, instead of `response`.
    public var usage: TokenUsage?
    /// The reservation this usage settles.
    public var reservationID: String?
    /// The call's latency in milliseconds.
    public var latencyMilliseconds: Int?
    /// Free-form string metadata.
    public var metadata: [String: String]?
    /// True for a failed call.
    public var error: Bool?

    enum CodingKeys: String, CodingKey {
        case user, provider, model, response, usage, metadata, error
        case eventID = "event_id"
        case reservationID = "reservation_id"
        case latencyMilliseconds = "latency_ms"
    }
}
