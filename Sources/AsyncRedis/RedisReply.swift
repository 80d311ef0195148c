/// A reply from the server, copied out of hiredis into a Swift value.
///
/// Top-level error replies surface as a thrown ``RedisError`` with code ``RedisError/Code/serverError``;
/// `.error` appears only nested inside arrays (for example in a script's or a transaction's results).
public enum RedisReply: Sendable, Hashable {
    /// A simple string (status) reply such as `OK` or `PONG`.
    case string(String)
    /// A bulk string: binary-safe bytes.
    case bulk([UInt8])
    /// An integer reply.
    case integer(Int)
    /// An array reply (possibly nested).
    case array([RedisReply])
    /// The null bulk string or null array.
    case null
    /// An error reply nested inside an array.
    case error(String)
}

extension RedisReply {
    /// The reply as an integer: integer replies, and bulk or simple strings holding a decimal integer.
    public var int: Int? {
        switch self {
        case .integer(let value): return value
        case .bulk(let bytes): return Int(String(decoding: bytes, as: UTF8.self))
        case .string(let text): return Int(text)
        default: return nil
        }
    }

    /// The reply as text: simple strings, and bulk strings decoded as UTF-8 (invalid bytes are replaced).
    public var text: String? {
        switch self {
        case .string(let text): return text
        case .bulk(let bytes): return String(decoding: bytes, as: UTF8.self)
        case .integer(let value): return String(value)
        default: return nil
        }
    }

    /// The reply's raw bytes for bulk and simple strings.
    public var bytes: [UInt8]? {
        switch self {
        case .bulk(let bytes): return bytes
        case .string(let text): return Array(text.utf8)
        default: return nil
        }
    }

    /// The elements of an array reply.
    public var array: [RedisReply]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// Whether this is the null reply.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}
