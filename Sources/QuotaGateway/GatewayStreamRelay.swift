import Foundation
import TokenAccounting

/// Relays a provider's server-sent event stream to the caller one event at a time, as events complete,
/// and keeps what settling the call needs: the events that carry usage (the first and the last, so
/// Anthropic's `message_start` and final `message_delta` are both kept, and OpenAI's final usage chunk) and
/// an estimate of the output streamed so far. Memory is bounded by the largest single event
/// (``maximumEventBytes``; a longer one is passed on uninspected).
struct GatewayStreamRelay: Sendable {
    /// The longest event inspected; longer ones are passed on as they arrive, unread.
    static let maximumEventBytes = 1_048_576

    /// Drop the usage-only chunk (`"choices":[]` with a `usage` object) the gateway asked for.
    let dropsUsageChunk: Bool
    let provider: Provider
    let estimator: TokenEstimator
    private var pending: [UInt8] = []
    private var scanned = 0
    private var firstUsage: [UInt8]?
    private var lastUsage: [UInt8]?
    /// The output tokens streamed so far, estimated from the deltas' text.
    private(set) var outputTokensEstimate = 0
    /// Whether the stream reached its provider's end (`data: [DONE]`, `message_stop`, `response.completed`).
    private(set) var sawEnd = false

    init(dropsUsageChunk: Bool, provider: Provider, estimator: TokenEstimator) {
        self.dropsUsageChunk = dropsUsageChunk
        self.provider = provider
        self.estimator = estimator
    }

    /// The bytes to send the caller now, for `chunk` just received.
    mutating func feed(_ chunk: some Collection<UInt8>) -> [UInt8] {
        pending.append(contentsOf: chunk)
        var out: [UInt8] = []
        var start = 0
        var index = max(scanned, 1)
        while index < pending.count {
            if pending[index] == 0x0A, pending[index - 1] == 0x0A || (index >= 2 && pending[index - 1] == 0x0D && pending[index - 2] == 0x0A) {
                let event = pending[start...index]
                if keep(event) { out.append(contentsOf: event) }
                start = index + 1
                index = start + 1
                continue
            }
            index += 1
        }
        if start > 0 { pending.removeFirst(start) }
        scanned = max(pending.count, 1)
        if pending.count > Self.maximumEventBytes {
            out.append(contentsOf: pending)
            pending.removeAll(keepingCapacity: false)
            scanned = 0
        }
        return out
    }

    /// What is left when the upstream ends (an unterminated last event), passed on as is.
    mutating func finish() -> [UInt8] {
        defer {
            pending.removeAll()
            scanned = 0
        }
        if !pending.isEmpty { _ = inspect(pending[...]) }
        return pending
    }

    /// The usage-bearing events, as an SSE text the provider's usage parser reads; nil when none arrived.
    var usageEvents: String? {
        guard let first = firstUsage else { return nil }
        var text = String(decoding: first, as: UTF8.self)
        if let last = lastUsage { text += String(decoding: last, as: UTF8.self) }
        return text
    }

    /// Reads one event; false when it is the usage chunk the caller does not get.
    private mutating func keep(_ event: ArraySlice<UInt8>) -> Bool {
        let hasUsage = inspect(event)
        if dropsUsageChunk, hasUsage, event.contains(bytesOf: #""choices":[]"#) || event.contains(bytesOf: #""choices": []"#) { return false }
        return true
    }

    /// Notes the event's usage and output; true when it carries a usage object.
    private mutating func inspect(_ event: ArraySlice<UInt8>) -> Bool {
        if event.contains(bytesOf: "[DONE]") || event.contains(bytesOf: "message_stop") || event.contains(bytesOf: "response.completed") {
            sawEnd = true
        }
        let hasUsage = Self.hasUsageObject(event)
        if hasUsage {
            if firstUsage == nil { firstUsage = Array(event) } else { lastUsage = Array(event) }
        }
        if event.contains(bytesOf: #""delta""#) { outputTokensEstimate += estimatedOutput(event) }
        return hasUsage
    }

    /// The tokens of the text an event's delta carries (chat `content`, Responses `delta`, Anthropic `text`,
    /// `thinking`, `partial_json`, tool-call `arguments`).
    private func estimatedOutput(_ event: ArraySlice<UInt8>) -> Int {
        var text = ""
        for line in event.split(separator: 0x0A) where line.starts(with: Array("data:".utf8)) {
            let payload = line.dropFirst(5)
            guard let object = try? JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any] else { continue }
            Self.collectDeltaText(object, into: &text)
        }
        return text.isEmpty ? 0 : estimator.estimateTokens(text: text, provider: provider)
    }

    private static func collectDeltaText(_ object: [String: Any], into text: inout String) {
        if let delta = object["delta"] as? String { text += delta }
        if let delta = object["delta"] as? [String: Any] {
            for key in ["content", "text", "thinking", "partial_json", "reasoning_content", "refusal"] {
                if let value = delta[key] as? String { text += value }
            }
            for call in delta["tool_calls"] as? [[String: Any]] ?? [] {
                if let function = call["function"] as? [String: Any], let arguments = function["arguments"] as? String { text += arguments }
            }
        }
        for choice in object["choices"] as? [[String: Any]] ?? [] { collectDeltaText(choice, into: &text) }
    }

    /// Whether `"usage"` is followed (after `:` and whitespace) by an object, not `null`.
    static func hasUsageObject(_ event: ArraySlice<UInt8>) -> Bool {
        let key = Array(#""usage""#.utf8)
        var from = event.startIndex
        while let found = event.firstIndex(ofBytes: key, from: from) {
            var next = found + key.count
            while next < event.endIndex, event[next] == 0x20 || event[next] == 0x3A || event[next] == 0x09 { next += 1 }
            if next < event.endIndex, event[next] == UInt8(ascii: "{") { return true }
            from = found + 1
        }
        return false
    }
}
