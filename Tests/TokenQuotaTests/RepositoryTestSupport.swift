import AsyncRedis
import EmbeddedRedis
import Logging
import TokenQuota

/// Runs `body` with a private Redis and a repository over it (no quota cache, so reads see writes at once).
func withRepository<T>(
    settings: RepositorySettings = RepositorySettings(quotaCacheMilliseconds: 0),
    poolSize: Int = 4,
    _ body: (RedisQuotaRepository, RedisClient) async throws -> T
) async throws -> T {
    try await withRedisServer { server in
        var configuration = try RedisConfiguration(url: server.url)
        configuration.poolSize = poolSize
        configuration.commandTimeout = .seconds(5)
        let client = RedisClient(configuration: configuration, logger: Logger(label: "test.redis"))
        try await client.waitUntilConnected(timeout: .seconds(5))
        let repository = RedisQuotaRepository(client: client, settings: settings, logger: Logger(label: "test.quota"))
        do {
            let result = try await body(repository, client)
            await client.shutdown()
            return result
        } catch {
            await client.shutdown()
            throw error
        }
    }
}

/// A deterministic random generator (SplitMix64) so randomized tests are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
