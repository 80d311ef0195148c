import AsyncRedis
import EmbeddedRedis
import Foundation
import Synchronization
import Testing

/// The pipelined write path: RESP encoding, sends the socket only partly takes, and the outcome-unknown
/// guarantee when the connection dies with many commands in flight.
@Suite struct PipelinedWriteTests {
    @Test func argumentsEncodeEveryIntegerAndByteExactly() async throws {
        let values = [0, 7, 10, -1, -10, 1_234_567_890, Int.max, Int.min]
        let bytes: [UInt8] = [13, 10, 36, 42, 0, 255]
        var command = RedisCommand("ECHO", "")
        for value in values { command.append(value) }
        command.append(bytes: bytes)
        #expect(command.count == 2 + values.count + 1)
        #expect(command.arguments == [Array("ECHO".utf8), []] + values.map { Array(String($0).utf8) } + [bytes])

        try await withClient(poolSize: 1) { (client: RedisClient, _: RedisServer) async throws in
            for value in values {
                #expect(try await client.send("ECHO", value) == .bulk(Array(String(value).utf8)))
            }
            #expect(try await client.send(RedisCommand("ECHO", bytes)) == .bulk(bytes))
            #expect(try await client.send("ECHO", "") == .bulk([]))
        }
    }

    /// 32 tasks on one connection write 512 KiB values at once: far more than the socket buffers take, so
    /// sends stop half-way and resume later; every value must arrive whole and each SET run exactly once.
    @Test func largeValuesFromConcurrentTasksArriveWholeAndOnce() async throws {
        try await withClient(poolSize: 1, commandTimeout: .seconds(20)) { client, _ in
            let wrong = try await withThrowingTaskGroup(of: Int.self) { group in
                for task in 0..<32 {
                    group.addTask {
                        var value = [UInt8](repeating: 0, count: 512 * 1024)
                        for index in value.indices { value[index] = UInt8(truncatingIfNeeded: index &* (task + 3) &+ task) }
                        try await client.set("large:\(task)", value)
                        return try await client.get("large:\(task)") == value ? 0 : 1
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(wrong == 0)
            let info = try await client.send("INFO", "commandstats").text ?? ""
            #expect(info.contains("cmdstat_set:calls=32,"))
        }
    }

    /// The server drops the connection while 64 tasks keep commands in flight: each INCR either succeeded,
    /// failed as not sent, or failed as outcome unknown — and the counter proves no command ran twice and
    /// none reported as not sent ran at all. With `batch` 16 each call is a pipeline of 16 INCRs, which
    /// succeeds, fails as not sent or fails as outcome unknown as a whole.
    @Test(arguments: [1, 16])
    func connectionKilledUnderLoadNeverCountsTwice(batch: Int) async throws {
        try await withClient(poolSize: 1) { client, server in
            let admin = try await makeClient(server, poolSize: 1)
            let killer = Killer()
            let clock = ContinuousClock()
            let until = clock.now + .seconds(10)
            let outcomes = try await withThrowingTaskGroup(of: (ok: Int, unknown: Int, other: Int).self) { group in
                for _ in 0..<64 {
                    group.addTask {
                        var tally = (ok: 0, unknown: 0, other: 0)
                        for _ in 0..<100_000 where !killer.done.load(ordering: .relaxed) && clock.now < until {
                            switch await Self.increment(client, batch: batch) {
                            case .ran: tally.ok += batch
                            case .outcomeUnknown: tally.unknown += batch
                            case .notSent: tally.other += 1
                            }
                        }
                        return tally
                    }
                }
                group.addTask {
                    // Kill while the load runs (bounded: 3 kills); the count comes back in `other`.
                    var kills = 0
                    for _ in 0..<3 {
                        try await Task.sleep(for: .milliseconds(30))
                        kills += try await admin.send("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes").int ?? 0
                    }
                    killer.done.store(true, ordering: .relaxed)
                    return (ok: -1, unknown: 0, other: kills)
                }
                return try await group.reduce(into: [(ok: Int, unknown: Int, other: Int)]()) { $0.append($1) }
            }
            let loads = outcomes.filter { $0.ok >= 0 }
            let kills = outcomes.filter { $0.ok < 0 }.reduce(0) { $0 + $1.other }
            let ok = loads.reduce(0) { $0 + $1.ok }
            let unknown = loads.reduce(0) { $0 + $1.unknown }
            #expect(kills > 0)
            let counter = try await admin.send("GET", "killed:counter").int ?? 0
            #expect(ok > 0)
            #expect(counter >= ok)
            #expect(counter <= ok + unknown)
            // The client recovered: a fresh command succeeds.
            try await client.waitUntilConnected(timeout: .seconds(5))
            #expect(try await client.ping() == "PONG")
            await admin.shutdown()
        }
    }

    /// Tells the load tasks that the killing is over.
    final class Killer: Sendable {
        let done = Atomic<Bool>(false)
    }

    enum Outcome { case ran, outcomeUnknown, notSent }

    /// One INCR, or a pipeline of `batch` INCRs: ran, outcome unknown, or not sent (not connected, or timed
    /// out before the write).
    static func increment(_ client: RedisClient, batch: Int) async -> Outcome {
        do {
            if batch == 1 {
                _ = try await client.send("INCR", "killed:counter")
            } else {
                let outcomes = try await client.pipeline(Array(repeating: RedisCommand("INCR", "killed:counter"), count: batch))
                for outcome in outcomes { _ = try outcome.get() }
            }
            return .ran
        } catch {
            return error.isOutcomeUnknown ? .outcomeUnknown : .notSent
        }
    }
}
