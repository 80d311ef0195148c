public import AsyncRedis

/// Whether Redis answers: the readiness probe of `/readyz`.
public struct RedisHealth: Sendable {
    let client: RedisClient

    /// Creates a probe over `client`.
    public init(client: RedisClient) { self.client = client }

    /// Why Redis does not answer `PING` within `timeout` (the client's last error: a refused TLS certificate,
    /// a wrong password, a missing permission, …), or nil when it answers.
    public func problem(within timeout: Duration) async -> String? {
        let client = self.client
        return await withTaskGroup(of: String?.self) { group in
            group.addTask {
                do throws(RedisError) {
                    _ = try await client.ping()
                    return nil
                } catch {
                    return error.message
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return "Redis did not answer PING within \(timeout)"
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// True when Redis answers `PING` within `timeout`.
    public func answers(within timeout: Duration) async -> Bool {
        await problem(within: timeout) == nil
    }
}
