public import AsyncRedis
public import Logging
import TokenQuota

/// Checks, before quotad serves, that Redis holds data of the key schema this quotad reads
/// (``SchemaVersion/current``), or no quotad data at all (then it writes the marker).
///
/// Call it once Redis is configured and before the HTTP server starts; quotad then exits 78 with the
/// error's one-line message instead of serving data it cannot read.
///
/// - Parameters:
///   - client: the Redis quotad will serve from.
///   - logger: where the outcome is logged.
///   - timeout: how long to wait for a first connection.
/// - Throws: ``ConfigurationError``: Redis holds schema v1 data (run `quotad migrate`), a newer schema,
///   an unreadable marker, or it cannot be reached within `timeout`.
public func checkRedisSchema(client: RedisClient, logger: Logger, timeout: Duration = .seconds(5)) async throws(ConfigurationError) {
    do {
        try await client.waitUntilConnected(timeout: timeout)
    } catch {
        throw ConfigurationError(
            "cannot check the Redis key schema: " + ((error as? RedisError)?.message ?? "no connection to \(client.configuration.endpoint) within \(timeout)"),
            key: settingKey(client)
        )
    }
    let status: SchemaVersion.Status
    do {
        status = try await SchemaVersion.requireServable(client: client)
    } catch {
        throw ConfigurationError(error.message, key: settingKey(client))
    }
    if status == .fresh {
        logger.info("no quotad data in Redis: schema marker written", metadata: ["schema.version": "\(SchemaVersion.current)"])
    } else {
        logger.debug("redis key schema is current", metadata: ["schema.version": "\(SchemaVersion.current)"])
    }
}

/// The setting that names where the client connects: `redis.url`, `redis.nodes` or `redis.sentinels`.
func settingKey(_ client: RedisClient) -> String {
    switch client.configuration.mode {
    case .standalone: "redis.url"
    case .cluster: "redis.nodes"
    case .sentinel: "redis.sentinels"
    }
}
