import TokenAccounting

/// The body of `POST …/reservations`.
struct ReservationBody: Decodable, Sendable {
    var user: String
    var model: String
    var provider: String?
    var inputTokens: Int?
    var messages: [ChatMessage]?
    var maxOutputTokens: Int?
    var ttlSeconds: Int?
    var reservationID: String?

    enum CodingKeys: String, CodingKey {
        case user, model, provider, messages
        case inputTokens = "input_tokens"
        case maxOutputTokens = "max_output_tokens"
        case ttlSeconds = "ttl_seconds"
        case reservationID = "reservation_id"
    }
}
