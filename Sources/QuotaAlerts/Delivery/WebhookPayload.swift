import Foundation

/// The JSON body of a delivery: `{"type","timestamp","data":{…}}`, built from the alert's fields the same
/// way on every attempt (so a retried body is byte-identical).
public struct WebhookPayload: Sendable, Encodable {
    /// The alert data.
    public struct AlertData: Sendable, Encodable {
        var tenant: String
        var level: String
        var user: String?
        var group: String?
        var subject: String
        var limit: String
        var threshold: Int?
        var used: Int?
        var limitValue: Int?
        var cycle: String?
        var at: String
        var eventID: String?

        enum CodingKeys: String, CodingKey {
            case tenant, level, user, group, subject, limit, threshold, used, cycle, at
            case limitValue = "limit_value"
            case eventID = "event_id"
        }

        public func encode(to encoder: any Encoder) throws {
            // Absent values are explicit nulls, so receivers see every key.
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(tenant, forKey: .tenant)
            try container.encode(level, forKey: .level)
            try container.encode(user, forKey: .user)
            try container.encode(group, forKey: .group)
            try container.encode(subject, forKey: .subject)
            try container.encode(limit, forKey: .limit)
            try container.encode(threshold, forKey: .threshold)
            try container.encode(used, forKey: .used)
            try container.encode(limitValue, forKey: .limitValue)
            try container.encode(cycle, forKey: .cycle)
            try container.encode(at, forKey: .at)
            try container.encode(eventID, forKey: .eventID)
        }
    }

    /// `quota.threshold` or `quota.exceeded`.
    public var type: String
    /// When the alert was raised.
    public var timestamp: String
    /// The alert.
    public var data: AlertData

    /// The payload of an alert of `tenant` given as the alert stream's fields.
    public init(tenant: String, alert: [String: String]) {
        func text(_ name: String) -> String? { alert[name].flatMap { $0.isEmpty ? nil : $0 } }
        let at = Self.iso8601(milliseconds: text("at").flatMap { Int($0) } ?? 0)
        self.type = alert["type"] ?? ""
        self.timestamp = at
        self.data = AlertData(
            tenant: tenant, level: alert["level"] ?? "", user: text("user"), group: text("group"),
            subject: alert["subject"] ?? "", limit: alert["limit"] ?? "", threshold: text("threshold").flatMap { Int($0) },
            used: text("used").flatMap { Int($0) }, limitValue: text("value").flatMap { Int($0) }, cycle: text("cycle"),
            at: at, eventID: text("event")
        )
    }

    /// The body bytes (sorted keys; times are ISO 8601 UTC with milliseconds).
    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self))
    }

    /// `2026-11-18T11:06:40.123Z` from milliseconds since the epoch (exact: no floating-point rounding).
    static func iso8601(milliseconds: Int) -> String {
        let seconds = milliseconds.quotientAndRemainder(dividingBy: 1000)
        let (whole, fraction) = seconds.remainder < 0 ? (seconds.quotient - 1, seconds.remainder + 1000) : seconds
        let text = Date(timeIntervalSince1970: Double(whole)).formatted(Date.ISO8601FormatStyle())
        let digits = String(fraction)
        return String(text.dropLast()) + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }
}
