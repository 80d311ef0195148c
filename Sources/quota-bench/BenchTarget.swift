import ArgumentParser
import AsyncRedis
import EmbeddedRedis
import Foundation
import Logging

/// The Redis a benchmark measures against: a private `redis-server` on a free loopback port (stopped by
/// ``close()``), or one given by URL; and the `redis-benchmark` binary that measures the reference.
struct BenchTarget {
    /// The `redis://` URL of the server.
    let url: String
    /// Its TCP host and port (redis-benchmark needs TCP).
    let host: String
    let port: Int
    /// The path of `redis-benchmark`.
    let redisBenchmark: String
    /// The private server, when this target started one.
    let server: RedisServer?

    /// Uses `redisURL`, or starts a private server when it is nil.
    init(redisURL: String?) throws {
        guard let benchmark = RedisServer.findInPath("redis-benchmark") else {
            throw ValidationError("redis-benchmark not found: apt-get install -y redis-tools")
        }
        redisBenchmark = benchmark
        if let redisURL {
            url = redisURL
            server = nil
        } else {
            let started = try RedisServer()
            server = started
            url = started.url
            print("started a private redis-server on \(url)")
        }
        guard case .tcp(let host, let port) = try RedisConfiguration(url: url).endpoint else {
            server?.destroy()
            throw ValidationError("redis-benchmark needs a TCP URL")
        }
        self.host = host
        self.port = port
    }

    /// A connected client with `poolSize` connections.
    func connect(poolSize: Int) async throws -> RedisClient {
        var configuration = try RedisConfiguration(url: url)
        configuration.poolSize = poolSize
        let client = RedisClient(configuration: configuration, logger: Logger(label: "quota-bench"))
        try await client.waitUntilConnected(timeout: .seconds(5))
        return client
    }

    /// Stops the private server (if any) and deletes its directory.
    func close() {
        server?.destroy()
    }
}
