import EmbeddedRedis
public import AsyncRedis
public import Logging
public import ServiceLifecycle

/// Owns the Redis side of the process: supervises the embedded `redis-server` (restarting it with bounded
/// backoff when it dies) and, at shutdown — after the HTTP server has drained — shuts the client down and
/// stops the embedded server.
///
/// Place it before the HTTP server in the service list: services shut down in reverse order.
public struct RedisLifecycleService: Service {
    let client: RedisClient
    let embedded: EmbeddedRedis?
    let logger: Logger
    let checkInterval: Duration

    /// Creates the service.
    public init(client: RedisClient, embedded: EmbeddedRedis?, logger: Logger, checkInterval: Duration = .seconds(1)) {
        self.client = client
        self.embedded = embedded
        self.logger = logger
        self.checkInterval = checkInterval
    }

    /// Supervises until graceful shutdown or cancellation, then releases Redis resources.
    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            if let embedded {
                try await supervise(embedded)
            } else {
                try await gracefulShutdown()
            }
        }
        await client.shutdown()
        if let embedded {
            logger.info("stopping embedded redis-server")
            await embedded.stop()
        }
        logger.info("redis resources released")
    }

    func supervise(_ embedded: EmbeddedRedis) async throws {
        var backoff = Duration.milliseconds(250)
        let maximumBackoff = Duration.seconds(30)
        while !Task.isCancelled {
            try await Task.sleep(for: checkInterval)
            if embedded.isAccepting() {
                backoff = .milliseconds(250)
                continue
            }
            logger.warning("embedded redis-server is not accepting connections; restarting it", metadata: ["redis.port": "\(embedded.server.port)"])
            do {
                try await embedded.restart()
                logger.notice("embedded redis-server restarted", metadata: ["redis.port": "\(embedded.server.port)"])
                backoff = .milliseconds(250)
            } catch {
                logger.error("cannot restart embedded redis-server", metadata: ["error": "\(error)", "retry.in": "\(backoff)"])
                try await Task.sleep(for: backoff)
                backoff = min(backoff * 2, maximumBackoff)
            }
        }
    }
}
