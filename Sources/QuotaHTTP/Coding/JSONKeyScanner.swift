/// One problem with a body's keys: a duplicate key or a key its schema does not allow.
public struct JSONKeyViolation: Sendable, Hashable, CustomStringConvertible {
    /// The path of the offending member (`limits.tokenz`, `events[3].user`).
    public var path: [JSONPathComponent]
    /// The message for the client, naming the field.
    public var message: String

    public var description: String { message }

    /// The index of the top-level array element under `member` this violation is inside
    /// (`events[3].x` → 3 for `events`), if any.
    func elementIndex(under member: String) -> Int? {
        guard path.count >= 2, case .key(let key) = path[0], key == member, case .index(let index) = path[1] else { return nil }
        return index
    }
}

/// A step of a JSON path.
public enum JSONPathComponent: Sendable, Hashable {
    /// An object member.
    case key(String)
    /// An array element.
    case index(Int)

    /// Renders a path as `limits.tokenz` / `events[3].user`.
    static func render(_ path: [JSONPathComponent]) -> String {
        var text = ""
        for component in path {
            switch component {
            case .key(let key):
                if !text.isEmpty { text += "." }
                text += key
            case .index(let index):
                text += "[\(index)]"
            }
        }
        return text
    }
}

/// Walks a JSON text once and reports duplicate object keys anywhere (which JSON parsers resolve
/// differently — `{"user":"a","user":"b"}` is `a` to one and `b` to another, a billing ambiguity) and keys
/// the schema does not allow.
///
/// Keys are compared after unescaping, so `"us\u0065r"` duplicates `"user"`. The check never gives up
/// silently: a body it cannot scan to the end (malformed JSON, nesting deeper than ``maximumDepth``, a
/// byte-order mark) is one violation with an empty path saying why, so no strict endpoint ever decodes a
/// body whose keys were not checked.
public struct JSONKeyScanner {
    /// The deepest nesting accepted: a deeper body is refused (the decoder never sees it).
    public static let maximumDepth = 64

    private let bytes: [UInt8]
    private var index = 0
    private var violations: [JSONKeyViolation] = []
    private var malformed = false
    private var tooDeep = false

    private init(bytes: [UInt8]) { self.bytes = bytes }

    /// Every violation in `bytes` against `schema`: empty only for a body whose keys were all checked; a body
    /// that could not be scanned gives exactly one violation with an empty path (see ``unscannable(_:)``).
    public static func violations(in bytes: [UInt8], schema: JSONKeySchema) -> [JSONKeyViolation] {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            return [unscannable("the body starts with a UTF-8 byte-order mark; send the JSON without it")]
        }
        var scanner = JSONKeyScanner(bytes: bytes)
        var path: [JSONPathComponent] = []
        scanner.skipWhitespace()
        scanner.value(schema: schema, path: &path, depth: 0)
        if scanner.tooDeep { return [unscannable("the body is nested more than \(maximumDepth) levels deep")] }
        if scanner.malformed { return [unscannable("malformed JSON body")] }
        return scanner.violations
    }

    /// The one violation of a body the scanner could not read to its end.
    static func unscannable(_ message: String) -> JSONKeyViolation {
        JSONKeyViolation(path: [], message: message)
    }

    private mutating func value(schema: JSONKeySchema, path: inout [JSONPathComponent], depth: Int) {
        guard !malformed else { return }
        guard depth < Self.maximumDepth else { tooDeep = true; malformed = true; return }
        guard index < bytes.count else { malformed = true; return }
        switch bytes[index] {
        case UInt8(ascii: "{"): object(schema: schema, path: &path, depth: depth + 1)
        case UInt8(ascii: "["): array(schema: schema, path: &path, depth: depth + 1)
        case UInt8(ascii: "\""): _ = string()
        default:
            let start = index
            scalar()
            guard !malformed else { return }
            let literal = bytes[start..<index]
            let name = path.isEmpty ? "the body" : Self.clip(JSONPathComponent.render(path))
            if Self.isOutOfRangeInteger(literal) {
                violations.append(JSONKeyViolation(path: path, message: "\(name) is out of range: integers are at most \(Int.max) (overflow)"))
            } else if case .integer = schema, let first = literal.first, first == UInt8(ascii: "-") || (first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9")),
                      literal.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") })
            {
                let shown = String(decoding: literal.prefix(40), as: UTF8.self)
                violations.append(JSONKeyViolation(path: path, message: "\(name) must be a whole number, without a fraction or an exponent (got \(shown))"))
            }
        }
    }

    /// Member names of the providers' own usage objects (OpenAI chat and responses, Anthropic, Gemini, Bedrock
    /// Converse): sent as `usage`, they get a hint that `response` reads them.
    static let providerUsageFields: Set<String> = [
        "prompt_tokens", "completion_tokens", "total_tokens", "prompt_tokens_details", "completion_tokens_details",
        "input_tokens_details", "output_tokens_details", "cache_creation_input_tokens", "cache_read_input_tokens",
        "cache_creation", "server_tool_use", "service_tier", "promptTokenCount", "candidatesTokenCount", "totalTokenCount",
        "cachedContentTokenCount", "thoughtsTokenCount", "inputTokens", "outputTokens", "totalTokens",
        "cacheReadInputTokens", "cacheWriteInputTokens",
    ]

    private mutating func object(schema: JSONKeySchema, path: inout [JSONPathComponent], depth: Int) {
        index += 1
        skipWhitespace()
        var seen = Set<String>()
        if peek(UInt8(ascii: "}")) { index += 1; return }
        while !malformed {
            skipWhitespace()
            guard peek(UInt8(ascii: "\"")), let key = string() else { malformed = true; return }
            path.append(.key(key))
            if !seen.insert(key).inserted {
                violations.append(JSONKeyViolation(path: path, message: "duplicate field '\(Self.clip(JSONPathComponent.render(path)))'"))
            }
            let memberSchema = schema.member(key)
            if memberSchema == nil {
                var message = "unknown field '\(Self.clip(JSONPathComponent.render(path)))'"
                if let allowed = schema.allowedKeys { message += "; expected one of: " + allowed.joined(separator: ", ") }
                if path.count >= 2, case .key("usage") = path[path.count - 2], Self.providerUsageFields.contains(key) {
                    message += ". 'usage' takes quotad's canonical counts; a provider's own usage object (or its whole "
                        + "response) goes in 'response', with 'provider' when the object alone does not say which"
                }
                violations.append(JSONKeyViolation(path: path, message: message))
            }
            skipWhitespace()
            guard peek(UInt8(ascii: ":")) else { malformed = true; return }
            index += 1
            skipWhitespace()
            value(schema: memberSchema ?? .any, path: &path, depth: depth)
            path.removeLast()
            skipWhitespace()
            if peek(UInt8(ascii: ",")) { index += 1; continue }
            if peek(UInt8(ascii: "}")) { index += 1; return }
            malformed = true
        }
    }

    private mutating func array(schema: JSONKeySchema, path: inout [JSONPathComponent], depth: Int) {
        index += 1
        skipWhitespace()
        if peek(UInt8(ascii: "]")) { index += 1; return }
        var position = 0
        while !malformed {
            skipWhitespace()
            path.append(.index(position))
            value(schema: schema.element, path: &path, depth: depth)
            path.removeLast()
            position += 1
            skipWhitespace()
            if peek(UInt8(ascii: ",")) { index += 1; continue }
            if peek(UInt8(ascii: "]")) { index += 1; return }
            malformed = true
        }
    }

    /// Reads a string at `index` (on the opening quote) and returns it unescaped.
    private mutating func string() -> String? {
        index += 1
        var scalars = String.UnicodeScalarView()
        var raw: [UInt8] = []
        func flush() {
            if !raw.isEmpty {
                scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars)
                raw.removeAll(keepingCapacity: true)
            }
        }
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                flush()
                return String(scalars)
            case UInt8(ascii: "\\"):
                flush()
                guard index < bytes.count else { malformed = true; return nil }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    guard var code = hex4() else { malformed = true; return nil }
                    if (0xD800..<0xDC00).contains(code), peek(UInt8(ascii: "\\")), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") {
                        let saved = index
                        index += 2
                        if let low = hex4(), (0xDC00..<0xE000).contains(low) {
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            index = saved
                        }
                    }
                    scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
                default:
                    malformed = true
                    return nil
                }
            default:
                raw.append(byte)
            }
        }
        malformed = true
        return nil
    }

    private mutating func hex4() -> UInt32? {
        guard index + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    /// Skips a number, `true`, `false` or `null` (validated by the decoder later).
    private mutating func scalar() {
        let start = index
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), UInt8(ascii: " "), UInt8(ascii: "\n"),
                 UInt8(ascii: "\r"), UInt8(ascii: "\t"):
                if index == start { malformed = true }
                return
            default:
                index += 1
            }
        }
        if index == start { malformed = true }
    }

    /// Whether a number literal is an integer (no fraction or exponent) outside `Int`'s range: the decoder
    /// would refuse the whole body without naming the member, so the scanner names it.
    static func isOutOfRangeInteger(_ literal: ArraySlice<UInt8>) -> Bool {
        var digits = literal[...]
        let negative = digits.first == UInt8(ascii: "-")
        if negative { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return false }
        let limit = Array((negative ? "9223372036854775808" : "9223372036854775807").utf8)
        if digits.count != limit.count { return digits.count > limit.count }
        return digits.lexicographicallyPrecedes(limit) == false && !digits.elementsEqual(limit)
    }

    private func peek(_ byte: UInt8) -> Bool { index < bytes.count && bytes[index] == byte }

    private mutating func skipWhitespace() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 {
            index += 1
        }
    }

    private static func clip(_ text: String) -> String {
        text.count > 120 ? String(text.prefix(120)) + "…" : text
    }
}
