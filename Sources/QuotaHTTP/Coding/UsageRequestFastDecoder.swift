import TokenAccounting

/// Decodes the common shape of a usage body in one pass over its bytes, without `JSONDecoder` and without
/// the separate key scan: `user`, `event_id`, `provider`, `model`, `reservation_id`, `latency_ms`, `error`,
/// `metadata` and canonical `usage` counts.
///
/// It only ever answers for bodies it fully understands, with exactly the value the strict path
/// (``JSONKeyScanner`` + `JSONDecoder`) would produce. Anything else — an unknown or duplicate key, an
/// escape sequence, `null`, a non-integral or out-of-range number, `response`, `messages`, `output_text`,
/// `"usage": "estimate"`, trailing bytes, malformed JSON — returns nil, and the caller takes the strict
/// path, which produces the exact answer and error message as before.
struct UsageRequestFastDecoder: FastJSONScanning {
    let bytes: UnsafeRawBufferPointer
    var index = 0

    private init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// The decoded body, or nil when the strict path must decide.
    static func decode(_ bytes: UnsafeRawBufferPointer) -> UsageRequest? {
        var decoder = UsageRequestFastDecoder(bytes: bytes)
        return decoder.body()
    }

    private mutating func body() -> UsageRequest? {
        var request = UsageRequest()
        var seen: UInt16 = 0
        let understood = document { json, key in
            guard let field = Field(key), seen & field.bit == 0 else { return false }
            seen |= field.bit
            switch field {
            case .user: guard let value = json.string() else { return false }; request.user = value
            case .eventID: guard let value = json.string() else { return false }; request.eventID = value
            case .provider: guard let value = json.string() else { return false }; request.provider = value
            case .model: guard let value = json.string() else { return false }; request.model = value
            case .reservationID: guard let value = json.string() else { return false }; request.reservationID = value
            case .latency: guard let value = json.integer() else { return false }; request.latencyMilliseconds = value
            case .error: guard let value = json.boolean() else { return false }; request.error = value
            case .usage: guard let value = json.usage() else { return false }; request.usage = value
            case .metadata: guard let value = json.metadata() else { return false }; request.metadata = value
            }
            return true
        }
        return understood ? request : nil
    }

    /// The top-level members this decoder handles.
    private enum Field {
        case user, eventID, provider, model, reservationID, latency, error, usage, metadata

        init?(_ key: UnsafeRawBufferPointer) {
            switch key.count {
            case 4 where UsageRequestFastDecoder.equals(key, "user"): self = .user
            case 5 where UsageRequestFastDecoder.equals(key, "model"): self = .model
            case 5 where UsageRequestFastDecoder.equals(key, "usage"): self = .usage
            case 5 where UsageRequestFastDecoder.equals(key, "error"): self = .error
            case 8 where UsageRequestFastDecoder.equals(key, "event_id"): self = .eventID
            case 8 where UsageRequestFastDecoder.equals(key, "provider"): self = .provider
            case 8 where UsageRequestFastDecoder.equals(key, "metadata"): self = .metadata
            case 10 where UsageRequestFastDecoder.equals(key, "latency_ms"): self = .latency
            case 14 where UsageRequestFastDecoder.equals(key, "reservation_id"): self = .reservationID
            default: return nil
            }
        }

        var bit: UInt16 {
            switch self {
            case .user: 1
            case .eventID: 2
            case .provider: 4
            case .model: 8
            case .reservationID: 16
            case .latency: 32
            case .error: 64
            case .usage: 128
            case .metadata: 256
            }
        }
    }

    /// Canonical counts: only the known count keys, each once, each an integer.
    private mutating func usage() -> TokenUsage? {
        var usage = TokenUsage.zero
        var seen: UInt16 = 0
        let understood = object { json, key in
            guard let slot = Self.countSlot(key), seen & (1 << slot) == 0, let value = json.integer() else { return false }
            seen |= 1 << slot
            switch slot {
            case 0: usage.inputTokens = value
            case 1: usage.cachedInputTokens = value
            case 2: usage.cacheWriteTokens = value
            case 3: usage.cacheWrite1hTokens = value
            case 4: usage.outputTokens = value
            case 5: usage.reasoningTokens = value
            case 6: usage.audioInputTokens = value
            case 7: usage.audioOutputTokens = value
            default: usage.webSearchRequests = value
            }
            return true
        }
        return understood ? usage : nil
    }

    private static func countSlot(_ key: UnsafeRawBufferPointer) -> UInt16? {
        if equals(key, "input_tokens") { return 0 }
        if equals(key, "cached_input_tokens") { return 1 }
        if equals(key, "cache_write_tokens") { return 2 }
        if equals(key, "cache_write_1h_tokens") { return 3 }
        if equals(key, "output_tokens") { return 4 }
        if equals(key, "reasoning_tokens") { return 5 }
        if equals(key, "audio_input_tokens") { return 6 }
        if equals(key, "audio_output_tokens") { return 7 }
        if equals(key, "web_search_requests") { return 8 }
        return nil
    }

    /// String metadata: string keys (each once) and string values.
    private mutating func metadata() -> [String: String]? {
        var metadata: [String: String] = [:]
        let understood = object { json, key in
            guard let key = String(validating: key, as: UTF8.self), let value = json.string() else { return false }
            return metadata.updateValue(value, forKey: key) == nil
        }
        return understood ? metadata : nil
    }
}
