import Foundation
import QuotaAlerts

/// A delivery as `GET …/webhooks/{id}/deliveries` lists it.
struct WebhookDeliveryView: Encodable, Sendable {
    var id: String
    var webhookID: String
    var messageID: String
    var type: String
    var status: String
    var attempts: Int
    var lastStatusCode: Int?
    var lastError: String?
    var nextAttemptAt: Date?
    var lastAttemptAt: Date?
    var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, type, status, attempts
        case webhookID = "webhook_id"
        case messageID = "message_id"
        case lastStatusCode = "last_status_code"
        case lastError = "last_error"
        case nextAttemptAt = "next_attempt_at"
        case lastAttemptAt = "last_attempt_at"
        case createdAt = "created_at"
    }

    init(_ delivery: WebhookDelivery) {
        id = delivery.id
        webhookID = delivery.webhookID
        messageID = delivery.messageID
        type = delivery.type
        status = delivery.status.rawValue
        attempts = delivery.attempts
        lastStatusCode = delivery.lastStatusCode
        lastError = delivery.lastError
        nextAttemptAt = delivery.nextAttemptAt
        lastAttemptAt = delivery.lastAttemptAt
        createdAt = delivery.createdAt
    }

    func encode(to encoder: any Encoder) throws {
        // Every key present (null when unknown), so clients need not guess.
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(webhookID, forKey: .webhookID)
        try container.encode(messageID, forKey: .messageID)
        try container.encode(type, forKey: .type)
        try container.encode(status, forKey: .status)
        try container.encode(attempts, forKey: .attempts)
        try container.encode(lastStatusCode, forKey: .lastStatusCode)
        try container.encode(lastError, forKey: .lastError)
        try container.encode(nextAttemptAt, forKey: .nextAttemptAt)
        try container.encode(lastAttemptAt, forKey: .lastAttemptAt)
        try container.encode(createdAt, forKey: .createdAt)
    }
}

/// `GET …/webhooks/{id}/deliveries`: `{"webhook_id","deliveries":[…]}`, newest first.
struct WebhookDeliveryList: Encodable, Sendable {
    var webhookID: String
    var deliveries: [WebhookDeliveryView]
    enum CodingKeys: String, CodingKey {
        case deliveries
        case webhookID = "webhook_id"
    }
}
