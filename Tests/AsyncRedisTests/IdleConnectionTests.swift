import AsyncRedis
import EmbeddedRedis
import Foundation
import Testing

/// A connection the server closes while idle is noticed at once and replaced, so later commands never hit it.
@Suite struct IdleConnectionTests {
    @Test(arguments: [1, 3])
    func commandsAfterClientKillAllSucceed(poolSize: Int) async throws {
        try await withClient(poolSize: poolSize) { client, server in
            let admin = try await makeClient(server, poolSize: 1)
            let adminID = try await admin.send("CLIENT", "ID").int ?? -1
            let original = try await waitForConnections(of: admin, excluding: adminID, count: poolSize)

            let killed = try await admin.send("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes").int
            #expect(killed == poolSize)

            try await expectAllSucceed(client)
            // The commands went over new connections.
            let now = try await connectionIDs(of: admin, excluding: adminID)
            #expect(now.isDisjoint(with: original))
            await admin.shutdown()
        }
    }

    @Test func commandsAfterServerIdleTimeoutAllSucceed() async throws {
        try await withClient(poolSize: 2) { client, server in
            let admin = try await makeClient(server, poolSize: 1)
            let adminID = try await admin.send("CLIENT", "ID").int ?? -1
            let original = try await waitForConnections(of: admin, excluding: adminID, count: 2)
            _ = try await admin.send("CONFIG", "SET", "timeout", "1")
            // Wait (bounded) until the server has closed every original connection for idleness; the admin
            // connection stays busy polling, so it is not closed.
            var closed = false
            let clock = ContinuousClock()
            let start = clock.now
            for _ in 0..<400 where !closed && clock.now - start < .seconds(15) {
                closed = try await connectionIDs(of: admin, excluding: adminID).isDisjoint(with: original)
                if !closed { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(closed)
            _ = try await admin.send("CONFIG", "SET", "timeout", "0")
            try await expectAllSucceed(client)
            await admin.shutdown()
        }
    }

    /// Sequential and concurrent commands: not one error.
    private func expectAllSucceed(_ client: RedisClient) async throws {
        var errors: [RedisError] = []
        for index in 0..<20 {
            if let error = await capture({ try await client.send("SET", "idle:\(index)", "\(index)") }) { errors.append(error) }
        }
        let concurrentErrors = await withTaskGroup(of: RedisError?.self) { group in
            for index in 0..<50 {
                group.addTask { await capture { try await client.send("INCR", "idle:concurrent:\(index)") } }
            }
            return await group.reduce(into: [RedisError]()) { if let error = $1 { $0.append(error) } }
        }
        errors += concurrentErrors
        #expect(errors.isEmpty, "\(errors)")
    }
}

/// The ids of the server's normal clients other than `excluding`.
func connectionIDs(of admin: RedisClient, excluding: Int) async throws -> Set<Int> {
    let list = try await admin.send("CLIENT", "LIST", "TYPE", "normal").text ?? ""
    var ids = Set<Int>()
    for line in list.split(separator: "\n") {
        guard let field = line.split(separator: " ").first(where: { $0.hasPrefix("id=") }),
              let id = Int(field.dropFirst(3)), id != excluding else { continue }
        ids.insert(id)
    }
    return ids
}

/// Waits (bounded) until the server lists `count` connections besides `excluding`, and returns their ids.
func waitForConnections(of admin: RedisClient, excluding: Int, count: Int) async throws -> Set<Int> {
    let clock = ContinuousClock()
    let start = clock.now
    var ids = Set<Int>()
    for _ in 0..<200 where clock.now - start < .seconds(10) {
        ids = try await connectionIDs(of: admin, excluding: excluding)
        if ids.count == count { return ids }
        try await Task.sleep(for: .milliseconds(20))
    }
    Issue.record("expected \(count) client connections, the server lists \(ids.count)")
    return ids
}
