public import AsyncRedis
public import TokenQuota
import Synchronization

/// Holds the current ``MetricsSettings`` in memory and reads/writes them in Redis.
///
/// Every instance polls Redis (``SettingsPoller``) so that a change made through any instance is seen
/// everywhere within one poll interval; a change made through this instance applies locally at once.
/// Redis layout: `q:settings:metrics` HASH with fields `enabled` and `token_statistics` (`1`/`0`);
/// a missing field means on.
public final class MetricsSettingsStore: Sendable {
    /// The Redis key holding the settings.
    public static let redisKey = "q:settings:metrics"

    let client: RedisClient
    /// The settings and a generation bumped by every local write, so that a poll that started before a
    /// write cannot overwrite it with the older value it read.
    private let state: Mutex<(settings: MetricsSettings, generation: UInt64)>

    /// Creates a store over `client`, starting from `initial` until the first refresh.
    public init(client: RedisClient, initial: MetricsSettings = MetricsSettings()) {
        self.client = client
        self.state = Mutex((initial, 0))
    }

    /// The settings as last seen (no I/O).
    public var current: MetricsSettings {
        state.withLock { $0.settings }
    }

    /// Reads the settings from Redis and makes them current.
    @discardableResult
    public func refresh() async throws(QuotaError) -> MetricsSettings {
        let generation = state.withLock { $0.generation }
        let settings = try await read()
        return state.withLock { state in
            // A local write since this read started wins over what the read saw.
            if state.generation == generation { state.settings = settings }
            return state.settings
        }
    }

    func read() async throws(QuotaError) -> MetricsSettings {
        let fields: [String: [UInt8]]
        do { fields = try await client.hashGetAll(Self.redisKey) } catch { throw QuotaError(redis: error) }
        return MetricsSettings(
            enabled: Self.flag(fields["enabled"]) ?? true,
            tokenStatistics: Self.flag(fields["token_statistics"]) ?? true
        )
    }

    /// Changes the given switches in Redis and returns the resulting settings (also made current).
    public func update(enabled: Bool?, tokenStatistics: Bool?) async throws(QuotaError) -> MetricsSettings {
        var command = RedisCommand("HSET", Self.redisKey)
        if let enabled { command.append("enabled"); command.append(enabled ? "1" : "0") }
        if let tokenStatistics { command.append("token_statistics"); command.append(tokenStatistics ? "1" : "0") }
        if command.count > 2 {
            do { _ = try await client.send(command) } catch { throw QuotaError(redis: error) }
        }
        let settings = try await read()
        state.withLock { state in
            state.settings = settings
            state.generation &+= 1
        }
        return settings
    }

    static func flag(_ value: [UInt8]?) -> Bool? {
        guard let value else { return nil }
        switch String(decoding: value, as: UTF8.self).lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: return nil
        }
    }
}
