public import AsyncRedis

/// Whether Redis answers: the readiness probe of `/readyz`.
public struct RedisHealth: Sendable {
    let client: RedisClient

    /// Creates a probe over `client`.
    public init(client: RedisClient) { self.client = client }

    /// True when Redis answers `PING` within `timeout`.
    public func answers(within timeout: Duration) async -> Bool {
        let client = self.client
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask { (try? await client.ping()) != nil }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }
}
