import AsyncRedis
import Logging
import EmbeddedRedis

/// A client for a test server, with short timeouts so failures are quick.
func makeClient(
    _ server: RedisServer,
    path: String = "",
    poolSize: Int = 2,
    commandTimeout: Duration = .seconds(2)
) async throws -> RedisClient {
    var configuration = try RedisConfiguration(url: server.url + path)
    configuration.poolSize = poolSize
    configuration.commandTimeout = commandTimeout
    configuration.connectTimeout = .seconds(1)
    let client = RedisClient(configuration: configuration, logger: Logger(label: "test.redis"))
    try await client.waitUntilConnected(timeout: .seconds(5))
    return client
}

/// Runs `body` with a fresh server and a connected client; both are shut down afterwards.
func withClient<T>(
    serverArguments: [String] = [],
    poolSize: Int = 2,
    commandTimeout: Duration = .seconds(2),
    _ body: (RedisClient, RedisServer) async throws -> T
) async throws -> T {
    try await withRedisServer(serverArguments) { server in
        let client = try await makeClient(server, poolSize: poolSize, commandTimeout: commandTimeout)
        do {
            let result = try await body(client, server)
            await client.shutdown()
            return result
        } catch {
            await client.shutdown()
            throw error
        }
    }
}
