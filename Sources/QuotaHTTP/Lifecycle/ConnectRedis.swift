import EmbeddedRedis
public import AsyncRedis
public import Logging

/// Creates the Redis client quotad's configuration asks for: the configured URL, or without one the
/// embedded `redis-server` on the data directory (started here; the caller stops it).
///
/// The client is created with the configured pool size and timeouts and connects in the background.
///
/// - Returns: the client, and the embedded server when one was started.
/// - Throws: ``ConfigurationError`` when the URL is invalid or the embedded server cannot start.
public func connectRedis(
    configuration: QuotadConfiguration, logger: Logger
) async throws -> (client: RedisClient, embedded: EmbeddedRedis?) {
    var embedded: EmbeddedRedis?
    let url: String
    if let configured = configuration.redisURL {
        url = configured
    } else {
        let server = try await EmbeddedRedis.start(dataDirectory: configuration.dataDirectory, port: configuration.embeddedRedisPort)
        logger.info("embedded redis-server started", metadata: ["redis.port": "\(server.server.port)", "redis.dir": "\(configuration.dataDirectory)"])
        embedded = server
        url = server.url
    }
    var redisConfiguration: RedisConfiguration
    do {
        redisConfiguration = try RedisConfiguration(url: url)
    } catch {
        await embedded?.stop()
        throw ConfigurationError("redis.url (QUOTAD_REDIS_URL): \(error.message)")
    }
    redisConfiguration.poolSize = configuration.redisPoolSize
    redisConfiguration.commandTimeout = .milliseconds(configuration.redisTimeoutMilliseconds)
    redisConfiguration.connectTimeout = .milliseconds(configuration.redisConnectTimeoutMilliseconds)
    return (RedisClient(configuration: redisConfiguration, logger: logger), embedded)
}
