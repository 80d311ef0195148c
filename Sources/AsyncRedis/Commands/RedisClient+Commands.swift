extension RedisClient {
    /// `PING`: returns `PONG`.
    @discardableResult
    public func ping() async throws(RedisError) -> String {
        try await send(RedisCommand("PING")).text ?? ""
    }

    /// `GET key` as bytes, or nil when the key does not exist.
    public func get(_ key: String) async throws(RedisError) -> [UInt8]? {
        let reply = try await send(RedisCommand("GET", key))
        if reply.isNull { return nil }
        guard let bytes = reply.bytes else { throw RedisError(.unexpectedReply, "GET returned \(reply)") }
        return bytes
    }

    /// `SET key value`, optionally with `EX seconds`.
    public func set(_ key: String, _ value: [UInt8], expireSeconds: Int? = nil) async throws(RedisError) {
        var command = RedisCommand("SET", key, value)
        if let expireSeconds { command.append("EX"); command.append(expireSeconds) }
        _ = try await send(command)
    }

    /// `INCRBY key delta`: the new value.
    public func incrementBy(_ key: String, _ delta: Int) async throws(RedisError) -> Int {
        let reply = try await send(RedisCommand("INCRBY", key, delta))
        guard let value = reply.int else { throw RedisError(.unexpectedReply, "INCRBY returned \(reply)") }
        return value
    }

    /// `DEL keys...`: how many keys were removed.
    @discardableResult
    public func delete(_ keys: [String]) async throws(RedisError) -> Int {
        let reply = try await send(RedisCommand("DEL", keys))
        return reply.int ?? 0
    }

    /// `HGETALL key` as a dictionary of UTF-8 field names to raw values.
    public func hashGetAll(_ key: String) async throws(RedisError) -> [String: [UInt8]] {
        let reply = try await send(RedisCommand("HGETALL", key))
        guard let elements = reply.array else { throw RedisError(.unexpectedReply, "HGETALL returned \(reply)") }
        var result: [String: [UInt8]] = [:]
        var index = 0
        while index + 1 < elements.count {
            if let field = elements[index].text, let value = elements[index + 1].bytes { result[field] = value }
            index += 2
        }
        return result
    }
}
