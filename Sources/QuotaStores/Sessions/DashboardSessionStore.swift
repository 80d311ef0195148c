public import AsyncRedis
public import TokenQuota

/// Dashboard sessions in Redis: `quotad:session:<sha256 hex of the session id>`, a hash of
/// ``DashboardSession`` fields, expiring a fixed ``lifetimeSeconds`` (12 h) after sign-in — not sliding, so a
/// stolen cookie is useful for at most that long. Only the id's digest names the key, so reading Redis does
/// not yield usable cookies.
public struct DashboardSessionStore: Sendable {
    /// How long a session lasts after sign-in.
    public static let lifetimeSeconds = 12 * 3600
    /// Creates the hash and its expiry in one step.
    static let createScript = RedisScript("redis.call('HSET', KEYS[1], unpack(ARGV, 2)) return redis.call('EXPIRE', KEYS[1], ARGV[1])")

    let client: RedisClient

    /// Creates a store over `client`.
    public init(client: RedisClient) { self.client = client }

    static func redisKey(_ sessionID: String) -> String {
        "quotad:session:" + SecretDigest.hex(SecretDigest.sha256(sessionID))
    }

    /// Opens a session and returns its id (the cookie value).
    public func create(_ session: DashboardSession) async throws(QuotaError) -> String {
        let id = DashboardToken.make()
        var arguments: [any RedisArgument] = [String(Self.lifetimeSeconds)]
        for (field, value) in session.fields {
            arguments.append(field)
            arguments.append(value)
        }
        do {
            _ = try await client.evaluate(Self.createScript, keys: [Self.redisKey(id)], arguments: arguments)
        } catch {
            throw QuotaError(redis: error)
        }
        return id
    }

    /// The session with that id, or nil (unknown, expired or malformed id).
    public func load(_ id: String) async throws(QuotaError) -> DashboardSession? {
        guard DashboardToken.isWellFormed(id) else { return nil }
        let hash: [String: [UInt8]]
        do { hash = try await client.hashGetAll(Self.redisKey(id)) } catch { throw QuotaError(redis: error) }
        guard !hash.isEmpty else { return nil }
        return DashboardSession(hash: hash.mapValues { String(decoding: $0, as: UTF8.self) })
    }

    /// Ends a session.
    public func delete(_ id: String) async throws(QuotaError) {
        guard DashboardToken.isWellFormed(id) else { return }
        do { _ = try await client.delete([Self.redisKey(id)]) } catch { throw QuotaError(redis: error) }
    }
}
