import Foundation
import QuotaAlerts

/// A webhook as `GET …/webhooks` lists it (never with its secret) and, with ``secret`` set, as
/// `POST …/webhooks` answers once.
struct WebhookView: Encodable, Sendable {
    var id: String
    var url: String
    var events: [String]
    var createdAt: Date
    var secret: String?

    enum CodingKeys: String, CodingKey {
        case id, url, events, secret
        case createdAt = "created_at"
    }

    init(_ webhook: Webhook, includingSecret: Bool) {
        id = webhook.id
        url = webhook.url
        events = webhook.events.map(\.rawValue)
        createdAt = webhook.createdAt
        secret = includingSecret ? webhook.secret : nil
    }
}

/// `GET …/webhooks`: `{"tenant","webhooks":[…]}`.
struct WebhookList: Encodable, Sendable {
    var tenant: String
    var webhooks: [WebhookView]
}
