import EmbeddedRedis
public import AsyncRedis
public import Logging

/// Creates the Redis client quotad's configuration asks for (``QuotadConfiguration/redisMode``): the
/// configured URL, or without one the embedded `redis-server` on the data directory (started here; the caller
/// stops it); a Redis Cluster from its seed nodes; or the primary the sentinels name.
///
/// The client is created with the configured pool size and timeouts and connects in the background.
///
/// - Returns: the client, and the embedded server when one was started.
/// TLS (``QuotadConfiguration/redisTLSConfiguration``) applies to every connection; its files are loaded here,
/// so a missing or malformed one stops the start. Password files are read here too.
///
/// - Throws: ``ConfigurationError`` when an address is invalid, a TLS or password file cannot be read, or the
///   embedded server cannot start.
public func connectRedis(
    configuration: QuotadConfiguration, logger: Logger
) async throws -> (client: RedisClient, embedded: EmbeddedRedis?) {
    var embedded: EmbeddedRedis?
    var redisConfiguration: RedisConfiguration
    switch configuration.redisMode {
    case .standalone:
        let url: String
        if let configured = configuration.redisURL {
            url = configured
        } else {
            let server = try await EmbeddedRedis.start(dataDirectory: configuration.dataDirectory, port: configuration.embeddedRedisPort)
            logger.info("embedded redis-server started", metadata: ["redis.port": "\(server.server.port)", "redis.dir": "\(configuration.dataDirectory)"])
            embedded = server
            url = server.url
        }
        do {
            redisConfiguration = try RedisConfiguration(url: url)
        } catch {
            await embedded?.stop()
            throw ConfigurationError("redis.url (QUOTAD_REDIS_URL): \(error.message)", key: "redis.url")
        }
        if configuration.redisPasswordFile != nil {
            do {
                redisConfiguration.password = try configuration.resolvedRedisPassword()
                redisConfiguration.username = configuration.redisURLUsername
            } catch {
                await embedded?.stop()
                throw error
            }
        }
    case .cluster:
        let password = try configuration.resolvedRedisPassword()
        do {
            redisConfiguration = try RedisConfiguration(
                clusterSeeds: configuration.redisNodes, username: configuration.redisUsername, password: password
            )
        } catch {
            throw ConfigurationError("redis.nodes (QUOTAD_REDIS_NODES): \(error.message)", key: "redis.nodes")
        }
        logger.info("redis cluster mode", metadata: ["redis.seeds": "\(configuration.redisNodes.count)"])
    case .sentinel:
        let password = try configuration.resolvedRedisPassword()
        let sentinelPassword = try configuration.resolvedRedisSentinelPassword()
        do {
            redisConfiguration = try RedisConfiguration(
                sentinels: configuration.redisSentinels, masterName: configuration.redisSentinelMaster ?? "",
                username: configuration.redisUsername, password: password,
                sentinelUsername: configuration.redisSentinelUsername, sentinelPassword: sentinelPassword
            )
        } catch {
            throw ConfigurationError("redis.sentinels (QUOTAD_REDIS_SENTINELS): \(error.message)", key: "redis.sentinels")
        }
        logger.info("redis sentinel mode", metadata: [
            "redis.sentinels": "\(configuration.redisSentinels.count)", "redis.master": "\(configuration.redisSentinelMaster ?? "")",
        ])
    }
    if let tls = configuration.redisTLSConfiguration {
        do {
            try tls.validate()
        } catch {
            await embedded?.stop()
            throw ConfigurationError("redis.tls: \(error.message)", key: "redis.tls.ca_file")
        }
        redisConfiguration.tls = tls
        if tls.insecureSkipVerify {
            logger.warning(
                "redis.tls.insecure_skip_verify is on: the Redis server's certificate and name are NOT checked; anyone on the path can read and change quotad's data (development only)"
            )
        }
    }
    redisConfiguration.poolSize = configuration.redisPoolSize
    redisConfiguration.commandTimeout = .milliseconds(configuration.redisTimeoutMilliseconds)
    redisConfiguration.connectTimeout = .milliseconds(configuration.redisConnectTimeoutMilliseconds)
    return (RedisClient(configuration: redisConfiguration, logger: logger), embedded)
}
