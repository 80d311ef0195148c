@testable import AsyncRedis
import EmbeddedRedis
import Foundation
import Logging

/// A Redis Cluster of 3 primaries and 3 replicas on loopback, started and stopped by a test.
///
/// Six `redis-server --cluster-enabled yes` on free ports whose cluster bus port (port + 10000) is free too,
/// joined with `redis-cli --cluster create … --cluster-replicas 1 --cluster-yes`; ready once every node
/// reports `cluster_state:ok`. Every process is killed and every directory removed by ``destroy()``.
final class TestCluster: @unchecked Sendable {
    /// One node as `CLUSTER NODES` describes it.
    struct Node: Sendable {
        let id: String
        let port: Int
        let isPrimary: Bool
        let slots: [ClosedRange<Int>]
    }

    let servers: [RedisServer]
    /// A standalone client per node, by port: reads and administration behind the cluster client's back.
    let direct: [Int: RedisClient]

    private init(servers: [RedisServer], direct: [Int: RedisClient]) {
        self.servers = servers
        self.direct = direct
    }

    var seeds: [String] { servers.map { "127.0.0.1:\($0.port)" } }

    /// Starts the servers, creates the cluster and waits until every node sees it ok (bounded).
    static func start() async throws -> TestCluster {
        var servers: [RedisServer] = []
        var direct: [Int: RedisClient] = [:]
        do {
            for _ in 0..<6 { servers.append(try startNode()) }
            for server in servers {
                var configuration = try RedisConfiguration(url: server.url)
                configuration.poolSize = 1
                configuration.connectTimeout = .seconds(1)
                let client = RedisClient(configuration: configuration, logger: Logger(label: "test.cluster.node"))
                try await client.waitUntilConnected(timeout: .seconds(5))
                direct[server.port] = client
            }
            let cluster = TestCluster(servers: servers, direct: direct)
            try cluster.create()
            try await cluster.waitUntilOK()
            return cluster
        } catch {
            for client in direct.values { await client.shutdown() }
            for server in servers { server.kill(); server.destroy() }
            throw error
        }
    }

    /// Kills every server and removes its directory.
    func destroy() async {
        for client in direct.values { await client.shutdown() }
        for server in servers {
            server.kill()
            server.destroy()
        }
    }

    /// A cluster client seeded with one node (it discovers the others).
    func client(commandTimeout: Duration = .seconds(5), poolSize: Int = 2) throws -> RedisClient {
        let configuration = try RedisConfiguration(
            clusterSeeds: [seeds[0]], poolSize: poolSize, connectTimeout: .seconds(1), commandTimeout: commandTimeout
        )
        return RedisClient(configuration: configuration, logger: Logger(label: "test.cluster"))
    }

    /// The nodes as `CLUSTER NODES` on `port` (the first node by default) lists them.
    func nodes(askingPort port: Int? = nil) async throws -> [Node] {
        let client = direct[port ?? servers[0].port]!
        let text = try await client.send("CLUSTER", "NODES").text ?? ""
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count >= 8, let address = fields[1].split(separator: "@").first,
                  let nodePort = ClusterNodeAddress(address)?.port
            else { return nil }
            let slots: [ClosedRange<Int>] = fields.dropFirst(8).compactMap { field in
                if field.hasPrefix("[") { return nil }
                let bounds = field.split(separator: "-").compactMap { Int($0) }
                return bounds.count == 2 ? bounds[0]...bounds[1] : bounds.first.map { $0...$0 }
            }
            return Node(id: String(fields[0]), port: nodePort, isPrimary: fields[2].contains("master"), slots: slots)
        }
    }

    /// The primary that serves `slot` (per the first node).
    func primary(forSlot slot: Int) async throws -> Node {
        try await nodes().first { $0.isPrimary && $0.slots.contains { $0.contains(slot) } }!
    }

    /// Another primary than `node`.
    func otherPrimary(than node: Node) async throws -> Node {
        try await nodes().first { $0.isPrimary && !$0.slots.isEmpty && $0.id != node.id }!
    }

    // MARK: Slot migration (the steps of `redis-cli --cluster reshard`, one at a time)

    /// `SETSLOT IMPORTING` on the target, then `SETSLOT MIGRATING` on the source.
    func beginMigration(slot: Int, from source: Node, to target: Node) async throws {
        try await expectOK(await direct[target.port]!.send("CLUSTER", "SETSLOT", slot, "IMPORTING", source.id))
        try await expectOK(await direct[source.port]!.send("CLUSTER", "SETSLOT", slot, "MIGRATING", target.id))
    }

    /// Moves `keys` (all in `slot`) from the source to the target with one `MIGRATE`.
    func migrate(keys: [String], from source: Node, to target: Node) async throws {
        var command = RedisCommand("MIGRATE", "127.0.0.1", target.port, "", 0, 5000, "KEYS")
        for key in keys { command.append(key) }
        _ = try await direct[source.port]!.send(command)
    }

    /// Moves every key left in `slot` (bounded batches).
    func migrateRemaining(slot: Int, from source: Node, to target: Node) async throws {
        for _ in 0..<1000 {
            let keys = try await direct[source.port]!.send("CLUSTER", "GETKEYSINSLOT", slot, 100).array?.compactMap(\.text) ?? []
            if keys.isEmpty { return }
            try await migrate(keys: keys, from: source, to: target)
        }
    }

    /// `SETSLOT NODE` on the target, the source, then every other primary (as `redis-cli` does).
    func finishMigration(slot: Int, from source: Node, to target: Node) async throws {
        try await expectOK(await direct[target.port]!.send("CLUSTER", "SETSLOT", slot, "NODE", target.id))
        try await expectOK(await direct[source.port]!.send("CLUSTER", "SETSLOT", slot, "NODE", target.id))
        for node in try await nodes() where node.isPrimary && node.id != source.id && node.id != target.id {
            try await expectOK(await direct[node.port]!.send("CLUSTER", "SETSLOT", slot, "NODE", target.id))
        }
    }

    private func expectOK(_ reply: @autoclosure () async throws -> RedisReply, _ what: String = #function, line: Int = #line) async throws {
        let result: RedisReply
        do {
            result = try await reply()
        } catch {
            throw RedisServerErrorText("\(what) (line \(line)): \(error)")
        }
        guard result == .string("OK") else { throw RedisServerErrorText("\(what): expected OK, got \(result)") }
    }

    // MARK: Start-up

    private static func startNode() throws -> RedisServer {
        for _ in 0..<20 {
            let port = try RedisServer.freePort()
            guard port + 10000 <= 65535, RedisServer.waitUntilPortIsFree(port + 10000, timeout: 0) else { continue }
            do {
                return try RedisServer(port: port, extraArguments: [
                    "--cluster-enabled", "yes", "--cluster-config-file", "nodes-\(port).conf",
                    "--cluster-node-timeout", "2000", "--appendonly", "no", "--save", "",
                ])
            } catch let error as RedisServerError where error.description.contains("in use") {
                continue
            }
        }
        throw RedisServerErrorText("no free port pair (port, port + 10000) for a cluster node")
    }

    private func create() throws {
        guard let cli = RedisServer.findInPath("redis-cli") else {
            throw RedisServerErrorText("redis-cli not found in PATH: install redis-tools")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: cli)
        process.arguments = ["--cluster", "create"] + seeds + ["--cluster-replicas", "1", "--cluster-yes"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        // Bounded: redis-cli is stopped after 30 s.
        if exited.wait(timeout: .now() + 30) == .timedOut {
            process.terminate()
            exited.wait()
        }
        let text = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw RedisServerErrorText("redis-cli --cluster create failed (\(process.terminationStatus)): \(text.suffix(500))")
        }
    }

    private func waitUntilOK() async throws {
        let deadline = Date().addingTimeInterval(20)
        for attempt in 0..<400 {
            var ready = true
            for (port, client) in direct {
                let info = try await client.send("CLUSTER", "INFO").text ?? ""
                if !info.contains("cluster_state:ok") || !info.contains("cluster_slots_assigned:16384") { ready = false }
                // Every node also knows every other node's role (gossip may lag behind the slot assignment).
                let nodes = try await nodes(askingPort: port)
                if nodes.filter(\.isPrimary).count != 3 || nodes.count != 6 { ready = false }
            }
            if ready { return }
            guard Date() < deadline else { break }
            try await Task.sleep(for: .milliseconds(min(100, 10 * (attempt + 1))))
        }
        throw RedisServerErrorText("the cluster did not reach cluster_state:ok within 20 s")
    }
}

/// Starts a cluster, runs `body`, and destroys the cluster afterwards, also when `body` throws.
func withTestCluster<T>(_ body: (TestCluster) async throws -> T) async throws -> T {
    let cluster = try await TestCluster.start()
    do {
        let result = try await body(cluster)
        await cluster.destroy()
        return result
    } catch {
        await cluster.destroy()
        throw error
    }
}

/// A cluster fixture failure.
struct RedisServerErrorText: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
