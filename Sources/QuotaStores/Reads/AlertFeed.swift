public import AsyncRedis
public import TokenQuota

/// Reads a tenant's alert stream `q:{<tenant>}:al` (written by the record script) for display.
public struct AlertFeed: Sendable {
    let client: RedisClient

    /// Creates a feed over `client`.
    public init(client: RedisClient) { self.client = client }

    /// The newest `count` alerts of `tenant`, newest first, each as its stream entry's fields
    /// (`at`, `type`, `level`, `subject`, `user`, `limit`, `threshold`, `used`, `value`).
    public func recent(tenant: String, count: Int) async throws(QuotaError) -> [[String: String]] {
        let reply: RedisReply
        do {
            reply = try await client.send("XREVRANGE", QuotaKeys(tenant: tenant).alerts, "+", "-", "COUNT", String(count))
        } catch {
            throw QuotaError(redis: error)
        }
        return (reply.array ?? []).compactMap { entry in
            guard let parts = entry.array, parts.count == 2, let values = parts[1].array else { return nil }
            var fields: [String: String] = [:]
            var index = 0
            while index + 1 < values.count {
                if let name = values[index].text { fields[name] = values[index + 1].text ?? "" }
                index += 2
            }
            return fields
        }
    }
}
