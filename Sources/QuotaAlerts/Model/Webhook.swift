public import Foundation

/// A tenant's webhook endpoint, stored as JSON in the tenant's `q:{t}:wh` hash under its id.
public struct Webhook: Sendable, Hashable, Codable {
    /// `wh_` and 16 lowercase hex digits.
    public var id: String
    /// The absolute `http`/`https` URL deliveries are POSTed to.
    public var url: String
    /// The alert types sent to this endpoint.
    public var events: [WebhookEventType]
    /// The signing secret, `whsec_` + base64 (Standard Webhooks); never returned after creation.
    public var secret: String
    /// When the webhook was registered.
    public var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, url, events, secret
        case createdAt = "created_at"
    }

    /// Creates a webhook record.
    public init(id: String, url: String, events: [WebhookEventType], secret: String, createdAt: Date) {
        self.id = id
        self.url = url
        self.events = events
        self.secret = secret
        self.createdAt = createdAt
    }

    /// Whether `text` has the shape of a webhook id (checked before it is used in a key).
    public static func isValidID(_ text: String) -> Bool {
        let utf8 = Array(text.utf8)
        guard utf8.count == 19, text.hasPrefix("wh_") else { return false }
        return utf8.dropFirst(3).allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// A new random webhook id.
    public static func makeID() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt64
        let hex = String(value, radix: 16)
        return "wh_" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
