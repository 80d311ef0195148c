import TokenAccounting

/// The body of `POST …/reservations`.
///
/// A reservation needs an input estimate: exactly one of ``inputTokens`` or ``messages`` (estimated locally).
/// It is priced pessimistically, every token at the highest rate it could be charged
/// (``TokenAccounting/ModelPrice/reservationCost(inputTokens:maxOutputTokens:)``).
struct ReservationBody: StrictJSONBody, Sendable {
    var user: String
    var model: String
    var provider: String?
    /// The call's input tokens, as the caller counted them; or give ``messages``.
    var inputTokens: Int?
    /// The call's messages, from which the input tokens are estimated; or give ``inputTokens``.
    var messages: [ChatMessage]?
    /// The most output tokens the call may generate (0 when absent).
    var maxOutputTokens: Int?
    var ttlSeconds: Int?
    var reservationID: String?

    static let keySchema: JSONKeySchema = {
        var members = Dictionary(uniqueKeysWithValues: CodingKeys.allCases.map { ($0.rawValue, JSONKeySchema.any) })
        members[CodingKeys.messages.rawValue] = .chatMessages
        return .object(members)
    }()

    enum CodingKeys: String, CodingKey, CaseIterable {
        case user, model, provider, messages
        case inputTokens = "input_tokens"
        case maxOutputTokens = "max_output_tokens"
        case ttlSeconds = "ttl_seconds"
        case reservationID = "reservation_id"
    }
}
