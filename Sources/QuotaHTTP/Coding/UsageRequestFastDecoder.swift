import TokenAccounting

/// Decodes the common shape of a usage body in one pass over its bytes, without `JSONDecoder` and without
/// the separate key scan: `user`, `event_id`, `provider`, `model`, `reservation_id`, `latency_ms`, `error`,
/// `metadata`, canonical `usage` counts, and the provider's `response` — an object or array is checked and
/// passed to the provider's parser as the bytes sent (parsed once, by that parser), a string without escapes
/// as its text.
///
/// It only ever answers for bodies it fully understands, with the values the strict path
/// (``JSONKeyScanner`` + `JSONDecoder`) would produce (a `response` as the same JSON value, not re-serialized).
/// Anything else — an unknown or duplicate key, an escape sequence outside `response` objects, `null`, a
/// non-integral or out-of-range number, `messages`, `output_text`, `"usage": "estimate"`, trailing bytes,
/// malformed JSON, or a `response` ``FastJSONScanning/rawContainer(levels:)`` leaves to the strict path —
/// returns nil, and the caller takes the strict path, which produces the exact answer and error message as before.
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
        let understood = document(of: Field.self) { json, field in
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
            case .response: guard let value = json.response() else { return false }; request.response = value
            }
            return true
        }
        return understood ? request : nil
    }

    /// The top-level members this decoder handles.
    private enum Field: Int, FastJSONField {
        case user, eventID, provider, model, reservationID, latency, error, usage, metadata, response

        init?(key: UnsafeRawBufferPointer) {
            switch key.count {
            case 4 where UsageRequestFastDecoder.equals(key, "user"): self = .user
            case 5 where UsageRequestFastDecoder.equals(key, "model"): self = .model
            case 5 where UsageRequestFastDecoder.equals(key, "usage"): self = .usage
            case 5 where UsageRequestFastDecoder.equals(key, "error"): self = .error
            case 8 where UsageRequestFastDecoder.equals(key, "event_id"): self = .eventID
            case 8 where UsageRequestFastDecoder.equals(key, "provider"): self = .provider
            case 8 where UsageRequestFastDecoder.equals(key, "metadata"): self = .metadata
            case 8 where UsageRequestFastDecoder.equals(key, "response"): self = .response
            case 10 where UsageRequestFastDecoder.equals(key, "latency_ms"): self = .latency
            case 14 where UsageRequestFastDecoder.equals(key, "reservation_id"): self = .reservationID
            default: return nil
            }
        }
    }

    /// The provider's response: an object or array as its checked raw bytes (nested at most 32 levels, well
    /// inside the strict path's ``JSONKeyScanner/maximumDepth``), or a string without escapes as its text.
    private mutating func response() -> ProviderResponseBody? {
        guard index < bytes.count else { return nil }
        if bytes[index] == UInt8(ascii: "\"") { return string().map(ProviderResponseBody.text) }
        return rawContainer(levels: 32).map { .json(Array($0)) }
    }

    /// Canonical counts: only the known count keys, each once, each an integer.
    private mutating func usage() -> TokenUsage? {
        var usage = TokenUsage.zero
        let understood = object(of: Count.self) { json, count in
            guard let value = json.integer() else { return false }
            switch count {
            case .input: usage.inputTokens = value
            case .cachedInput: usage.cachedInputTokens = value
            case .cacheWrite: usage.cacheWriteTokens = value
            case .cacheWrite1h: usage.cacheWrite1hTokens = value
            case .output: usage.outputTokens = value
            case .reasoning: usage.reasoningTokens = value
            case .audioInput: usage.audioInputTokens = value
            case .audioOutput: usage.audioOutputTokens = value
            case .webSearch: usage.webSearchRequests = value
            }
            return true
        }
        return understood ? usage : nil
    }

    /// The canonical count keys of `usage`.
    private enum Count: Int, FastJSONField {
        case input, cachedInput, cacheWrite, cacheWrite1h, output, reasoning, audioInput, audioOutput, webSearch

        init?(key: UnsafeRawBufferPointer) {
            if UsageRequestFastDecoder.equals(key, "input_tokens") { self = .input }
            else if UsageRequestFastDecoder.equals(key, "cached_input_tokens") { self = .cachedInput }
            else if UsageRequestFastDecoder.equals(key, "cache_write_tokens") { self = .cacheWrite }
            else if UsageRequestFastDecoder.equals(key, "cache_write_1h_tokens") { self = .cacheWrite1h }
            else if UsageRequestFastDecoder.equals(key, "output_tokens") { self = .output }
            else if UsageRequestFastDecoder.equals(key, "reasoning_tokens") { self = .reasoning }
            else if UsageRequestFastDecoder.equals(key, "audio_input_tokens") { self = .audioInput }
            else if UsageRequestFastDecoder.equals(key, "audio_output_tokens") { self = .audioOutput }
            else if UsageRequestFastDecoder.equals(key, "web_search_requests") { self = .webSearch }
            else { return nil }
        }
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
