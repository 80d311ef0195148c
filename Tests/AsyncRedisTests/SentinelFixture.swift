@testable import AsyncRedis
@testable import EmbeddedRedis
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// One primary, one replica and three sentinels (`redis-server <config> --sentinel`) on loopback.
///
/// Each sentinel gets its own temporary directory and generated config (`sentinel monitor m … 2`,
/// `down-after-milliseconds 1000`, `failover-timeout 3000`, `resolve-hostnames no`); the sentinels rewrite
/// it. Ready once every sentinel knows the replica and the two other sentinels. ``destroy()`` kills every
/// process and removes every directory.
final class SentinelDeployment: @unchecked Sendable {
    static let masterName = "m"

    /// A sentinel process.
    struct Sentinel {
        let port: Int
        let pid: pid_t
        let directory: URL
    }

    private let lock = NSLock()
    private var servers: [RedisServer]
    private var sentinels: [Sentinel] = []
    let primary: RedisServer
    let replica: RedisServer

    private init(primary: RedisServer, replica: RedisServer) {
        self.primary = primary
        self.replica = replica
        self.servers = [primary, replica]
    }

    var sentinelAddresses: [String] { lock.withLock { sentinels.map { "127.0.0.1:\($0.port)" } } }

    /// Starts everything and waits (bounded) until the sentinels can fail over.
    static func start() async throws -> SentinelDeployment {
        let pair = try await ReplicationPair.start()
        let deployment = SentinelDeployment(primary: pair.primary, replica: pair.replica)
        do {
            for _ in 0..<3 { try deployment.startSentinel() }
            try await deployment.waitUntilSentinelsAgree()
            return deployment
        } catch {
            deployment.destroy()
            throw error
        }
    }

    /// A sentinel-mode client.
    func client(commandTimeout: Duration = .seconds(1)) throws -> RedisClient {
        var configuration = try RedisConfiguration(
            sentinels: sentinelAddresses, masterName: Self.masterName, poolSize: 2,
            connectTimeout: .milliseconds(500), commandTimeout: commandTimeout
        )
        configuration.sentinelRefreshInterval = .seconds(1)
        return RedisClient(configuration: configuration, logger: Logger(label: "test.sentinel"))
    }

    /// Starts a server that the test owns too (stopped by ``destroy()``).
    func adopt(_ server: RedisServer) {
        lock.withLock { servers.append(server) }
    }

    /// The address the first sentinel that answers gives for the primary.
    func sentinelPrimaryPort() async -> Int? {
        for address in sentinelAddresses {
            guard let port = ClusterNodeAddress(address)?.port, let client = try? await directClient(port: port) else { continue }
            let reply = try? await client.send("SENTINEL", "get-master-addr-by-name", Self.masterName)
            await client.shutdown()
            if case .array(let fields) = reply, fields.count == 2, let port = fields[1].int { return port }
        }
        return nil
    }

    /// Kills every process and removes every directory.
    func destroy() {
        let (servers, sentinels) = lock.withLock { (self.servers, self.sentinels) }
        for sentinel in sentinels { Self.stop(sentinel) }
        for server in servers {
            server.kill()
            server.destroy()
        }
    }

    private func startSentinel() throws {
        let primaryPort = primary.port
        let sentinel = try Self.launchSentinel { _ in
            """
            sentinel monitor \(Self.masterName) 127.0.0.1 \(primaryPort) 2
            sentinel down-after-milliseconds \(Self.masterName) 1000
            sentinel failover-timeout \(Self.masterName) 3000
            sentinel parallel-syncs \(Self.masterName) 1
            """
        }
        lock.withLock { sentinels.append(sentinel) }
    }

    /// Starts one sentinel on a free loopback port with its own directory; `settings` gives the config lines
    /// after the port, bind, log and directory ones. Stop it with ``stop(_:)``.
    static func launchSentinel(_ settings: (_ port: Int) -> String) throws -> Sentinel {
        guard let binary = RedisServer.serverBinary() else { throw RedisServerErrorText("redis-server not found in PATH") }
        for _ in 0..<10 {
            let port = try RedisServer.freePort()
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("quotad-sentinel-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let config = directory.appendingPathComponent("sentinel.conf")
            try """
            port \(port)
            bind 127.0.0.1
            daemonize no
            logfile ""
            dir "\(directory.path)"
            sentinel resolve-hostnames no
            \(settings(port))

            """.write(to: config, atomically: true, encoding: .utf8)
            switch BoundChildProcess.start([binary, config.path, "--sentinel"], readyMarker: "+monitor master", timeout: 10) {
            case .ready(let pid):
                return Sentinel(port: port, pid: pid, directory: directory)
            case .failed(let reason):
                try? FileManager.default.removeItem(at: directory)
                throw RedisServerErrorText(reason)
            case .notReady(let pid, _, let output):
                Glibc.kill(pid, SIGKILL)
                var status: Int32 = 0
                while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
                try? FileManager.default.removeItem(at: directory)
                if output.contains("Address already in use") { continue }
                throw RedisServerErrorText("sentinel on port \(port) did not start: \(output.suffix(300))")
            }
        }
        throw RedisServerErrorText("no free port for a sentinel")
    }

    /// Kills a sentinel and removes its directory.
    static func stop(_ sentinel: Sentinel) {
        Glibc.kill(sentinel.pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(sentinel.pid, &status, 0) == -1 && errno == EINTR {}
        try? FileManager.default.removeItem(at: sentinel.directory)
    }

    /// Waits until every sentinel knows the replica and the two other sentinels (bounded: 20 s).
    private func waitUntilSentinelsAgree() async throws {
        let ports = sentinelAddresses.compactMap { ClusterNodeAddress($0)?.port }
        var clients: [RedisClient] = []
        defer { for client in clients { Task { await client.shutdown() } } }
        for port in ports { clients.append(try await directClient(port: port)) }
        let deadline = Date().addingTimeInterval(20)
        for _ in 0..<400 {
            var ready = true
            for client in clients {
                let replicas = (try? await client.send("SENTINEL", "replicas", Self.masterName).array?.count) ?? 0
                let peers = (try? await client.send("SENTINEL", "sentinels", Self.masterName).array?.count) ?? 0
                if replicas < 1 || peers < 2 { ready = false }
            }
            if ready { return }
            guard Date() < deadline else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw RedisServerErrorText("the sentinels did not learn the replica and each other within 20 s")
    }
}

/// Starts a sentinel deployment, runs `body`, and destroys the deployment afterwards, also when `body` throws.
func withSentinelDeployment<T>(_ body: (SentinelDeployment) async throws -> T) async throws -> T {
    let deployment = try await SentinelDeployment.start()
    do {
        let result = try await body(deployment)
        deployment.destroy()
        return result
    } catch {
        deployment.destroy()
        throw error
    }
}
