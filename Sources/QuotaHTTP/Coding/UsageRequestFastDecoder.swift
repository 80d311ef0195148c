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
struct UsageRequestFastDecoder {
    private let bytes: UnsafeRawBufferPointer
    private var index = 0

    private init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// The decoded body, or nil when the strict path must decide.
    static func decode(_ bytes: UnsafeRawBufferPointer) -> UsageRequest? {
        var decoder = UsageRequestFastDecoder(bytes: bytes)
        return decoder.body()
    }

    private mutating func body() -> UsageRequest? {
        var request = UsageRequest()
        var seen: UInt16 = 0
        skipWhitespace()
        guard consume(UInt8(ascii: "{")) else { return nil }
        skipWhitespace()
        if !consume(UInt8(ascii: "}")) {
            while true {
                skipWhitespace()
                guard let key = rawString(), let field = Field(key) else { return nil }
                guard seen & field.bit == 0 else { return nil }
                seen |= field.bit
                skipWhitespace()
                guard consume(UInt8(ascii: ":")) else { return nil }
                skipWhitespace()
                switch field {
                case .user: guard let value = string() else { return nil }; request.user = value
                case .eventID: guard let value = string() else { return nil }; request.eventID = value
                case .provider: guard let value = string() else { return nil }; request.provider = value
                case .model: guard let value = string() else { return nil }; request.model = value
                case .reservationID: guard let value = string() else { return nil }; request.reservationID = value
                case .latency: guard let value = integer() else { return nil }; request.latencyMilliseconds = value
                case .error: guard let value = boolean() else { return nil }; request.error = value
                case .usage: guard let value = usage() else { return nil }; request.usage = value
                case .metadata: guard let value = metadata() else { return nil }; request.metadata = value
                }
                skipWhitespace()
                if consume(UInt8(ascii: ",")) { continue }
                guard consume(UInt8(ascii: "}")) else { return nil }
                break
            }
        }
        skipWhitespace()
        return index == bytes.count ? request : nil
    }

    /// The top-level members this decoder handles.
    private enum Field {
        case user, eventID, provider, model, reservationID, latency, error, usage, metadata

        init?(_ key: UnsafeRawBufferPointer) {
            switch key.count {
            case 4 where Self.equals(key, "user"): self = .user
            case 5 where Self.equals(key, "model"): self = .model
            case 5 where Self.equals(key, "usage"): self = .usage
            case 5 where Self.equals(key, "error"): self = .error
            case 8 where Self.equals(key, "event_id"): self = .eventID
            case 8 where Self.equals(key, "provider"): self = .provider
            case 8 where Self.equals(key, "metadata"): self = .metadata
            case 10 where Self.equals(key, "latency_ms"): self = .latency
            case 14 where Self.equals(key, "reservation_id"): self = .reservationID
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

        static func equals(_ key: UnsafeRawBufferPointer, _ name: StaticString) -> Bool {
            key.count == name.utf8CodeUnitCount && key.elementsEqual(UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        }
    }

    /// Canonical counts: only the known count keys, each once, each an integer.
    private mutating func usage() -> TokenUsage? {
        guard consume(UInt8(ascii: "{")) else { return nil }
        var usage = TokenUsage.zero
        var seen: UInt16 = 0
        skipWhitespace()
        if consume(UInt8(ascii: "}")) { return usage }
        while true {
            skipWhitespace()
            guard let key = rawString(), let slot = Self.countSlot(key) else { return nil }
            guard seen & (1 << slot) == 0 else { return nil }
            seen |= 1 << slot
            skipWhitespace()
            guard consume(UInt8(ascii: ":")) else { return nil }
            skipWhitespace()
            guard let value = integer() else { return nil }
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
            skipWhitespace()
            if consume(UInt8(ascii: ",")) { continue }
            return consume(UInt8(ascii: "}")) ? usage : nil
        }
    }

    private static func countSlot(_ key: UnsafeRawBufferPointer) -> UInt16? {
        if Field.equals(key, "input_tokens") { return 0 }
        if Field.equals(key, "cached_input_tokens") { return 1 }
        if Field.equals(key, "cache_write_tokens") { return 2 }
        if Field.equals(key, "cache_write_1h_tokens") { return 3 }
        if Field.equals(key, "output_tokens") { return 4 }
        if Field.equals(key, "reasoning_tokens") { return 5 }
        if Field.equals(key, "audio_input_tokens") { return 6 }
        if Field.equals(key, "audio_output_tokens") { return 7 }
        if Field.equals(key, "web_search_requests") { return 8 }
        return nil
    }

    /// String metadata: string keys (each once) and string values.
    private mutating func metadata() -> [String: String]? {
        guard consume(UInt8(ascii: "{")) else { return nil }
        var metadata: [String: String] = [:]
        skipWhitespace()
        if consume(UInt8(ascii: "}")) { return metadata }
        while true {
            skipWhitespace()
            guard let key = string() else { return nil }
            skipWhitespace()
            guard consume(UInt8(ascii: ":")) else { return nil }
            skipWhitespace()
            guard let value = string(), metadata.updateValue(value, forKey: key) == nil else { return nil }
            skipWhitespace()
            if consume(UInt8(ascii: ",")) { continue }
            return consume(UInt8(ascii: "}")) ? metadata : nil
        }
    }

    /// The bytes of a string without escapes or control characters (nil otherwise), not yet validated as UTF-8.
    private mutating func rawString() -> UnsafeRawBufferPointer? {
        guard consume(UInt8(ascii: "\"")) else { return nil }
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return UnsafeRawBufferPointer(rebasing: bytes[start..<(index - 1)])
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
            index += 1
        }
        return nil
    }

    /// A string without escapes, as valid UTF-8.
    private mutating func string() -> String? {
        guard let raw = rawString() else { return nil }
        return String(validating: raw, as: UTF8.self)
    }

    /// A plain JSON integer (`-`? digits, no leading zeros, at most 18 digits, no fraction or exponent).
    private mutating func integer() -> Int? {
        let negative = consume(UInt8(ascii: "-"))
        let start = index
        var value = 0
        while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
            value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
            index += 1
        }
        let digits = index - start
        guard (1...18).contains(digits), !(digits > 1 && bytes[start] == UInt8(ascii: "0")) else { return nil }
        if index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): return nil
            default: break
            }
        }
        return negative ? -value : value
    }

    private mutating func boolean() -> Bool? {
        if literal("true") { return true }
        if literal("false") { return false }
        return nil
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count,
              UnsafeRawBufferPointer(rebasing: bytes[index..<(index + count)])
                .elementsEqual(UnsafeRawBufferPointer(start: word.utf8Start, count: count))
        else { return false }
        index += count
        return true
    }

    private mutating func consume(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): index += 1
            default: return
            }
        }
    }
}
