import Foundation
public import TokenQuota

/// One line of `GET …/events` (NDJSON): a recorded event with the token classes under their API names,
/// times as RFC 3339 UTC with milliseconds, and the declared dimensions it carried.
public struct RecordedEventBody: Sendable, Encodable {
    let event: RecordedEvent

    /// Wraps a domain event.
    public init(_ event: RecordedEvent) { self.event = event }

    enum CodingKeys: String, CodingKey {
        case cursor, sequence, user, group, model, provider, source, error, dimensions
        case eventID = "event_id", pricedAs = "priced_as", occurredAt = "occurred_at", recordedAt = "recorded_at"
        case admittedAt = "admitted_at", latencyMilliseconds = "latency_ms"
        case inputTokens = "input_tokens", cachedInputTokens = "cached_input_tokens"
        case cacheWriteTokens = "cache_write_tokens", cacheWrite1hTokens = "cache_write_1h_tokens"
        case outputTokens = "output_tokens", reasoningTokens = "reasoning_tokens", totalTokens = "total_tokens"
        case audioInputTokens = "audio_input_tokens", audioOutputTokens = "audio_output_tokens"
        case webSearchRequests = "web_search_requests", costNanoUSD = "cost_nano_usd", costUSD = "cost_usd"
    }

    /// Encodes the event.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        let u = event.usage
        try c.encode(event.cursor.description, forKey: .cursor)
        try c.encode(event.sequence, forKey: .sequence)
        try c.encode(event.eventID, forKey: .eventID)
        try c.encode(event.user, forKey: .user)
        try c.encode(event.group, forKey: .group)
        try c.encode(event.model, forKey: .model)
        try c.encode(event.pricedAs, forKey: .pricedAs)
        try c.encode(event.provider, forKey: .provider)
        try c.encode(event.source, forKey: .source)
        try c.encode(Self.timestamp(event.occurredAtMilliseconds), forKey: .occurredAt)
        try c.encode(Self.timestamp(event.recordedAtMilliseconds), forKey: .recordedAt)
        try c.encode(event.admittedAtMilliseconds.map(Self.timestamp), forKey: .admittedAt)
        try c.encode(event.latencyMilliseconds, forKey: .latencyMilliseconds)
        try c.encode(event.isError, forKey: .error)
        try c.encode(u.inputTokens, forKey: .inputTokens)
        try c.encode(u.cachedInputTokens, forKey: .cachedInputTokens)
        try c.encode(u.cacheWriteTokens, forKey: .cacheWriteTokens)
        try c.encode(u.cacheWrite1hTokens, forKey: .cacheWrite1hTokens)
        try c.encode(u.outputTokens, forKey: .outputTokens)
        try c.encode(u.reasoningTokens, forKey: .reasoningTokens)
        try c.encode(u.audioInputTokens, forKey: .audioInputTokens)
        try c.encode(u.audioOutputTokens, forKey: .audioOutputTokens)
        try c.encode(u.webSearchRequests, forKey: .webSearchRequests)
        try c.encode(u.inputTokens &+ u.outputTokens, forKey: .totalTokens)
        try c.encode(event.costNanoUSD, forKey: .costNanoUSD)
        try c.encode(DecimalUSD.string(fromNanoUSD: event.costNanoUSD), forKey: .costUSD)
        try c.encode(event.dimensions, forKey: .dimensions)
    }

    /// RFC 3339 UTC with milliseconds (`2025-03-01T12:00:00.250Z`), computed exactly from the milliseconds.
    static func timestamp(_ milliseconds: Int) -> String {
        let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        let fraction = milliseconds - seconds * 1000
        let day = CalendarDay(Date(timeIntervalSince1970: TimeInterval(seconds)), in: TimeZone(identifier: "UTC") ?? .gmt)
        let second = ((seconds % 86_400) + 86_400) % 86_400
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(day)T\(pad(second / 3600, 2)):\(pad(second / 60 % 60, 2)):\(pad(second % 60, 2)).\(pad(fraction, 3))Z"
    }
}
