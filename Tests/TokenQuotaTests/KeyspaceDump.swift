import AsyncRedis

/// Every key of a Redis with its type, content and absolute expiry, for comparing whole keyspaces.
enum KeyspaceDump {
    /// A key's content; `expiry` is its PEXPIRETIME (Unix ms, -1 when it does not expire).
    enum Value: Hashable, CustomStringConvertible {
        case string(String, expiry: Int)
        case hash([String: String], expiry: Int)
        /// `member score`, in score order.
        case zset([String], expiry: Int)
        case set(Set<String>, expiry: Int)
        /// `id field value ...` per entry.
        case stream([String], expiry: Int)
        case other(String)

        var description: String {
            switch self {
            case .string(let value, let expiry): return "string \(value) @\(expiry)"
            case .hash(let fields, let expiry): return "hash \(fields.sorted { $0.key < $1.key }) @\(expiry)"
            case .zset(let members, let expiry): return "zset \(members) @\(expiry)"
            case .set(let members, let expiry): return "set \(members.sorted()) @\(expiry)"
            case .stream(let entries, let expiry): return "stream \(entries) @\(expiry)"
            case .other(let type): return type
            }
        }
    }

    /// Reads every key (SCAN).
    static func read(_ client: RedisClient) async throws -> [String: Value] {
        var dump: [String: Value] = [:]
        var cursor = "0"
        repeat {
            let page = try await client.send("SCAN", cursor, "COUNT", 100).array ?? []
            cursor = page.first?.text ?? "0"
            for key in page.last?.array?.compactMap(\.text) ?? [] {
                dump[key] = try await value(of: key, client)
            }
        } while cursor != "0"
        return dump
    }

    private static func value(of key: String, _ client: RedisClient) async throws -> Value {
        let type = try await client.send("TYPE", key).text ?? ""
        let expiry = try await client.send("PEXPIRETIME", key).int ?? -3
        let texts = { (reply: RedisReply) in reply.array?.compactMap(\.text) ?? [] }
        switch type {
        case "string":
            return .string(try await client.send("GET", key).text ?? "", expiry: expiry)
        case "hash":
            let flat = texts(try await client.send("HGETALL", key))
            var fields: [String: String] = [:]
            for index in stride(from: 0, to: flat.count - 1, by: 2) { fields[flat[index]] = flat[index + 1] }
            return .hash(fields, expiry: expiry)
        case "zset":
            let flat = texts(try await client.send("ZRANGE", key, 0, -1, "WITHSCORES"))
            return .zset(stride(from: 0, to: flat.count - 1, by: 2).map { "\(flat[$0]) \(flat[$0 + 1])" }, expiry: expiry)
        case "set":
            return .set(Set(texts(try await client.send("SMEMBERS", key))), expiry: expiry)
        case "stream":
            let entries = try await client.send("XRANGE", key, "-", "+").array ?? []
            return .stream(entries.map { entry in
                let parts = entry.array ?? []
                return ([parts.first?.text ?? ""] + texts(parts.last ?? .null)).joined(separator: " ")
            }, expiry: expiry)
        default:
            return .other(type)
        }
    }
}
