@testable import AsyncRedis
import EmbeddedRedis
import Foundation
import Logging
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Acknowledged writes (`acknowledgedBy:within:`) against a real primary with one replica.
@Suite("Acknowledged writes", .serialized)
struct ReplicationTests {
    static let incrementOnce = RedisScript(
        """
        if redis.call('SET', KEYS[1], '1', 'NX') then return redis.call('INCR', KEYS[2]) end
        return tonumber(redis.call('GET', KEYS[2]))
        """
    )

    @Test("a write is returned once the replica acknowledged it, and is on the replica")
    func acknowledged() async throws {
        let pair = try await ReplicationPair.start()
        defer { pair.destroy() }
        let client = try await directClient(port: pair.primary.port)
        let replica = try await directClient(port: pair.replica.port)
        defer { Task { await client.shutdown(); await replica.shutdown() } }

        let reply = try await client.evaluate(
            Self.incrementOnce, keys: ["ack:id:1", "ack:count"], arguments: [], acknowledgedBy: 1, within: .seconds(2)
        )
        #expect(reply.int == 1)
        let sent = try await client.send(RedisCommand("SET", "ack:plain", "v"), acknowledgedBy: 1, within: .seconds(2))
        #expect(sent == .string("OK"))
        // Acknowledged means the replica has it now, without waiting.
        #expect(try await replica.send("GET", "ack:count").int == 1)
        #expect(try await replica.send("GET", "ack:plain").text == "v")
        // acknowledgedBy: 0 is the plain call.
        #expect(try await client.evaluate(Self.incrementOnce, keys: ["ack:id:2", "ack:count"], arguments: [], acknowledgedBy: 0, within: .seconds(1)).int == 2)
    }

    @Test("acknowledged pairs and plain commands pipelined on one connection each get their own reply")
    func pairsInterleaveWithPlainCommands() async throws {
        let pair = try await ReplicationPair.start()
        defer { pair.destroy() }
        let client = try await directClient(port: pair.primary.port)
        defer { Task { await client.shutdown() } }
        let results = try await withThrowingTaskGroup(of: (Bool, Int).self) { group in
            for index in 0..<200 {
                group.addTask {
                    if index % 2 == 0 {
                        let reply = try await client.send(RedisCommand("INCR", "mix:acknowledged"), acknowledgedBy: 1, within: .seconds(2))
                        return (true, reply.int ?? -1)
                    }
                    return (false, try await client.send("INCR", "mix:plain").int ?? -1)
                }
            }
            var results: [(Bool, Int)] = []
            for try await result in group { results.append(result) }
            return results
        }
        // Each counter's replies are exactly 1...100: no caller got a WAIT reply or another caller's reply.
        #expect(results.filter(\.0).map(\.1).sorted() == Array(1...100))
        #expect(results.filter { !$0.0 }.map(\.1).sorted() == Array(1...100))
    }

    @Test("a write the stopped replica cannot acknowledge fails with notReplicated, outcome unknown, within the timeout")
    func notReplicated() async throws {
        let pair = try await ReplicationPair.start()
        defer { pair.destroy() }
        let client = try await directClient(port: pair.primary.port)
        defer { Task { await client.shutdown() } }
        let replicaPID = try await serverProcessID(port: pair.replica.port)
        Glibc.kill(replicaPID, SIGSTOP)
        defer { Glibc.kill(replicaPID, SIGCONT) }

        let start = ContinuousClock.now
        let error = await #expect(throws: RedisError.self) {
            try await client.evaluate(
                Self.incrementOnce, keys: ["nr:id:1", "nr:count"], arguments: [], acknowledgedBy: 1, within: .milliseconds(300)
            )
        }
        let elapsed = ContinuousClock.now - start
        #expect(error?.code == .notReplicated)
        #expect(error?.isOutcomeUnknown == true)
        #expect(elapsed >= .milliseconds(290))
        #expect(elapsed < .seconds(2))
        // The write ran on the primary; a retry with the same id does not count it twice.
        Glibc.kill(replicaPID, SIGCONT)
        let retried = try await client.evaluate(
            Self.incrementOnce, keys: ["nr:id:1", "nr:count"], arguments: [], acknowledgedBy: 1, within: .seconds(5)
        )
        #expect(retried.int == 1)
        // Other commands on the client still work (the pair left the connection in order).
        #expect(try await client.send("INCR", "nr:other").int == 1)
    }
}
