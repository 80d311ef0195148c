/// A parsed JSON value, as produced by ``JSONReader``.
///
/// Numbers keep the distinction the usage parsers need: a literal written without fraction or exponent that fits
/// in `Int` is an ``integer(_:)``; every other number (`14.0`, `1e3`, `1.5`, `1e400`) is a ``double(_:)``, whose
/// value may be infinite when the literal is out of range. Booleans are never numbers.
enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case integer(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The members when the value is an object.
    var objectValue: [String: JSONValue]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// The elements when the value is an array.
    var arrayValue: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// The text when the value is a string.
    var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// Whether the value is JSON `null`.
    var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// A short name of the value's JSON type, for error messages.
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .integer, .double: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// A short rendering of the value for error messages (scalars only; containers are named by type).
    var briefDescription: String {
        switch self {
        case .null: "null"
        case .bool(let value): String(value)
        case .integer(let value): String(value)
        case .double(let value): String(value)
        case .string(let text): text.count <= 32 ? "\"\(text)\"" : "a string"
        case .array, .object: typeName
        }
    }
}

extension Dictionary where Key == String, Value == JSONValue {
    /// The member `key` as a non-empty string, if it is one.
    func nonEmptyString(_ key: String) -> String? {
        guard let text = self[key]?.stringValue, !text.isEmpty else { return nil }
        return text
    }

    /// The member `key` as an object, if it is one.
    func object(_ key: String) -> [String: JSONValue]? {
        self[key]?.objectValue
    }
}

extension JSONValue: Decodable {
    /// Decodes any JSON value (through `JSONDecoder`: request bodies that carry provider JSON as it is).
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }
}

extension JSONValue {
    /// The member `key` of an object (nil for other values or an absent member).
    subscript(key: String) -> JSONValue? { objectValue?[key] }

    /// The value as compact JSON text (object members sorted by key), for counting it as text.
    var serialized: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .integer(let value): return String(value)
        case .double(let value): return value.isFinite ? String(value) : "0"
        case .string(let value): return Self.quoted(value)
        case .array(let values): return "[" + values.map(\.serialized).joined(separator: ",") + "]"
        case .object(let members):
            return "{" + members.keys.sorted().map { Self.quoted($0) + ":" + (members[$0]?.serialized ?? "null") }.joined(separator: ",") + "}"
        }
    }

    private static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 { out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16) }
                else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}
