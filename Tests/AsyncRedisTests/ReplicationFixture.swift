@testable import AsyncRedis
import EmbeddedRedis
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// A primary and one replica (`--replicaof`) on loopback, for acknowledged-write tests.
struct ReplicationPair: Sendable {
    let primary: RedisServer
    let replica: RedisServer

    /// Starts both and waits (bounded) until the primary reports the replica online.
    static func start() async throws -> ReplicationPair {
        let primary = try RedisServer(extraArguments: ["--repl-diskless-sync-delay", "0"])
        do {
            let replica = try RedisServer(extraArguments: [
                "--replicaof", "127.0.0.1", "\(primary.port)", "--repl-diskless-sync-delay", "0",
            ])
            let pair = ReplicationPair(primary: primary, replica: replica)
            do {
                try await waitUntilReplicated(primaryPort: primary.port, replicas: 1)
            } catch {
                replica.destroy()
                throw error
            }
            return pair
        } catch {
            primary.destroy()
            throw error
        }
    }

    func destroy() {
        replica.kill()
        replica.destroy()
        primary.kill()
        primary.destroy()
    }
}

/// Waits until the server on `primaryPort` has `replicas` replicas online (bounded: 15 s, 300 polls).
func waitUntilReplicated(primaryPort: Int, replicas: Int) async throws {
    let client = try await directClient(port: primaryPort)
    defer { Task { await client.shutdown() } }
    let deadline = Date().addingTimeInterval(15)
    for _ in 0..<300 {
        let info = (try? await client.send("INFO", "replication").text) ?? ""
        let online = info.split(whereSeparator: \.isNewline).filter { $0.hasPrefix("slave") && $0.contains("state=online") }.count
        if online >= replicas { return }
        guard Date() < deadline else { break }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw RedisServerErrorText("the primary on port \(primaryPort) did not get \(replicas) online replica(s) within 15 s")
}

/// A standalone client with one connection to a loopback port.
func directClient(port: Int, commandTimeout: Duration = .seconds(2)) async throws -> RedisClient {
    var configuration = RedisConfiguration(endpoint: .tcp(host: "127.0.0.1", port: port))
    configuration.poolSize = 1
    configuration.connectTimeout = .seconds(1)
    configuration.commandTimeout = commandTimeout
    let client = RedisClient(configuration: configuration, logger: Logger(label: "test.direct"))
    try await client.waitUntilConnected(timeout: .seconds(5))
    return client
}

/// The process id of the server on `port` (`INFO server`), to stop and resume it with signals.
func serverProcessID(port: Int) async throws -> pid_t {
    let client = try await directClient(port: port)
    let info = try await client.send("INFO", "server").text ?? ""
    await client.shutdown()
    guard let line = info.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix("process_id:") }),
          let pid = pid_t(line.dropFirst("process_id:".count).trimmingCharacters(in: .whitespacesAndNewlines))
    else { throw RedisServerErrorText("no process_id in INFO server on port \(port)") }
    return pid
}
