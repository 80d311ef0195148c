import ArgumentParser
import AsyncRedis
import EmbeddedRedis
import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// A private Redis Cluster of `primaries` nodes without replicas on loopback, for benchmarks: each node is a
/// ``RedisServer`` (its own temporary directory, stopped by ``close()``) on a port whose cluster bus port
/// (port + 10000) is free too; the slots are assigned with `redis-cli --cluster create`.
struct BenchCluster {
    /// The nodes, in port order.
    let servers: [RedisServer]

    /// The seeds for ``RedisConfiguration/init(clusterSeeds:username:password:poolSize:connectTimeout:commandTimeout:)``.
    var seeds: [String] { servers.map { "127.0.0.1:\($0.port)" } }

    /// Starts the nodes, creates the cluster and waits (at most 30 s) until every node reports `cluster_state:ok`.
    init(primaries: Int) throws {
        guard let cli = RedisServer.findInPath("redis-cli") else {
            throw ValidationError("redis-cli not found: apt-get install -y redis-tools")
        }
        var servers: [RedisServer] = []
        do {
            for _ in 0..<primaries {
                servers.append(try Self.startNode(avoiding: servers.map(\.port)))
            }
            _ = try BoundedProcess.output(cli, ["--cluster", "create"] + servers.map { "127.0.0.1:\($0.port)" } + [
                "--cluster-replicas", "0", "--cluster-yes",
            ], timeout: 60)
            let deadline = Date().addingTimeInterval(30)
            var ready = false
            for _ in 0..<3000 where Date() < deadline {
                let states = try servers.map { try BoundedProcess.output(cli, ["-p", String($0.port), "CLUSTER", "INFO"], timeout: 10) }
                if states.allSatisfy({ $0.contains("cluster_state:ok") }) {
                    ready = true
                    break
                }
                usleep(20_000)
            }
            guard ready else { throw ValidationError("the benchmark cluster did not reach cluster_state:ok within 30 s") }
        } catch {
            for server in servers { server.destroy() }
            throw error
        }
        self.servers = servers
    }

    /// Starts one cluster-enabled node on a port whose bus port is free (at most 20 tries).
    private static func startNode(avoiding used: [Int]) throws -> RedisServer {
        for _ in 0..<20 {
            let port = Int.random(in: 20_000..<45_000)
            guard !used.contains(port), canBind(port), canBind(port + 10_000) else { continue }
            if let server = try? RedisServer(port: port, extraArguments: [
                "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
            ]) {
                return server
            }
        }
        throw ValidationError("no free port pair (port, port + 10000) for a cluster node")
    }

    private static func canBind(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { Glibc.close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    /// A client in cluster mode with `poolSize` connections per primary, connected to every primary.
    func connect(poolSize: Int) async throws -> RedisClient {
        var configuration = try RedisConfiguration(clusterSeeds: seeds)
        configuration.poolSize = poolSize
        let client = RedisClient(configuration: configuration, logger: Logger(label: "quota-bench.cluster"))
        try await client.waitUntilConnected(timeout: .seconds(10))
        return client
    }

    /// Stops every node and deletes their directories.
    func close() {
        for server in servers { server.destroy() }
    }
}
