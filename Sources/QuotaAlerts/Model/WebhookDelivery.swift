public import Foundation

/// One alert to one webhook: its state in `q:{t}:wd:<id>` as the deliveries list shows it.
public struct WebhookDelivery: Sendable, Hashable {
    /// Where a delivery stands.
    public enum Status: String, Sendable, Hashable, Codable {
        /// Waiting for its next attempt (or being attempted).
        case pending
        /// A 2xx was received.
        case delivered
        /// Given up after `webhooks.max_retry_seconds` of failures (or the webhook was deleted); retry
        /// re-queues it.
        case dead
    }

    /// `<alert stream id>.<webhook id>`.
    public var id: String
    /// The webhook it goes to.
    public var webhookID: String
    /// The `webhook-id` header: `msg_<alert stream id>`, the same for every attempt and every endpoint.
    public var messageID: String
    /// The alert type.
    public var type: String
    /// Where it stands.
    public var status: Status
    /// Attempts made so far.
    public var attempts: Int
    /// The HTTP status of the last attempt, if one answered.
    public var lastStatusCode: Int?
    /// Why the last attempt failed (`timeout`, `connection refused`, `HTTP 500` …).
    public var lastError: String?
    /// When the next attempt is due (pending only).
    public var nextAttemptAt: Date?
    /// When the last attempt ended.
    public var lastAttemptAt: Date?
    /// When the delivery was created (fan-out of the alert).
    public var createdAt: Date
    /// The alert's fields as the alert stream holds them.
    public var alert: [String: String]

    /// Reads a delivery from its hash (nil when the hash lacks the fields of one).
    public init?(id: String, hash: [String: String]) {
        guard let webhook = hash["wh"], let message = hash["msg"], let status = hash["st"].flatMap(Status.init(rawValue:)) else {
            return nil
        }
        self.id = id
        self.webhookID = webhook
        self.messageID = "msg_" + message
        self.status = status
        self.attempts = hash["n"].flatMap { Int($0) } ?? 0
        self.lastStatusCode = hash["code"].flatMap { Int($0) }
        self.lastError = hash["err"].flatMap { $0.isEmpty ? nil : $0 }
        self.nextAttemptAt = status == .pending ? hash["next"].flatMap(Self.date) : nil
        self.lastAttemptAt = hash["last"].flatMap(Self.date)
        self.createdAt = hash["created"].flatMap(Self.date) ?? Date(timeIntervalSince1970: 0)
        var alert: [String: String] = [:]
        for (field, value) in hash where field.hasPrefix("f:") { alert[String(field.dropFirst(2))] = value }
        self.alert = alert
        self.type = alert["type"] ?? ""
    }

    static func date(_ milliseconds: String) -> Date? {
        guard let value = Int(milliseconds) else { return nil }
        return Date(timeIntervalSince1970: Double(value) / 1000)
    }
}
