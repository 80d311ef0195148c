import TokenAccounting

/// The object keys a request body may contain, checked before decoding so that a typo
/// (`{"limits":{"tokenz":100}}`) is a 400 naming the field instead of a silently ignored member.
///
/// Only keys are described here; value types are checked by `Decodable` afterwards.
public indirect enum JSONKeySchema: Sendable {
    /// Anything: a free-form value (a provider response, string metadata values).
    case any
    /// An object whose members must be among these keys.
    case object([String: JSONKeySchema])
    /// An object with free keys whose values follow the schema (e.g. `metadata`).
    case map(JSONKeySchema)
    /// An array whose elements follow the schema.
    case array(JSONKeySchema)
    /// A whole number: a number literal with a fraction or an exponent (`1.0`, `1e3`) is refused (the
    /// decoder would read it as an integer); other value types are left to the decoder's type check.
    case integer

    /// An object whose members are the given keys, each free-form except `integers`, whole numbers.
    public static func keys(_ names: [String], integers: Set<String> = []) -> JSONKeySchema {
        .object(Dictionary(uniqueKeysWithValues: names.map { ($0, integers.contains($0) ? JSONKeySchema.integer : JSONKeySchema.any) }))
    }

    /// A list of chat messages (`[{"role","content",…}]`, ``TokenAccounting/ChatMessage/memberNames``); the
    /// contents (parts, tool calls) are provider JSON, checked for duplicate keys only.
    static let chatMessages: JSONKeySchema = .array(.keys(ChatMessage.memberNames))

    /// The schema of a member, or nil when `key` is not allowed.
    func member(_ key: String) -> JSONKeySchema? {
        switch self {
        case .any, .integer: return .any
        case .object(let members): return members[key]
        case .map(let values): return values
        case .array: return nil
        }
    }

    /// The schema of an array element.
    var element: JSONKeySchema {
        if case .array(let element) = self { return element }
        return .any
    }

    /// The allowed keys, sorted, for messages.
    var allowedKeys: [String]? {
        if case .object(let members) = self { return members.keys.sorted() }
        return nil
    }
}

/// A request body whose object keys are checked against ``keySchema`` before decoding.
public protocol StrictJSONBody: Decodable {
    /// The keys the body may contain.
    static var keySchema: JSONKeySchema { get }
}
