import TokenAccounting

/// The body of `POST …/reservations`.
struct ReservationBody: StrictJSONBody, Sendable {
    var user: String
    var model: String
    var provider: String?
    var inputTokens: Int?
    var messages: [ChatMessage]?
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
