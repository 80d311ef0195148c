@testable import AsyncRedis
import EmbeddedRedis
import Foundation
import Synchronization
import Testing

/// The client against a real 3-primary, 3-replica cluster on loopback (each test starts and destroys its own).
@Suite(.serialized, .disabled(if: RedisServer.findInPath("redis-cli") == nil, "redis-cli (redis-tools) is not installed"))
struct ClusterTests {
    /// A Lua INCRBY, as the quota scripts do on a tenant's keys.
    static let increment = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")

    @Test func commandsAndScriptsLandOnTheirSlotsPrimary() async throws {
        try await withTestCluster { cluster in
            let client = try cluster.client()
            defer { Task { await client.shutdown() } }
            try await client.waitUntilConnected(timeout: .seconds(10))
            let tenants = 2000
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        for tenant in stride(from: worker, to: tenants, by: 8) {
                            _ = try await client.send("SET", "q:{t\(tenant)}:name", "tenant \(tenant)")
                            let used = try await client.evaluate(Self.increment, keys: ["q:{t\(tenant)}:used"], arguments: [tenant])
                            #expect(used == .integer(tenant))
                        }
                    }
                }
                try await group.waitForAll()
            }
            // Streams and consumer groups, as the alert outbox uses them.
            _ = try await client.send("XGROUP", "CREATE", "q:{t7}:events", "g", "$", "MKSTREAM")
            _ = try await client.send("XADD", "q:{t7}:events", "*", "n", "1")
            let read = try await client.send("XREADGROUP", "GROUP", "g", "c", "COUNT", 10, "STREAMS", "q:{t7}:events", ">")
            #expect(read.array?.count == 1)
            #expect(try await client.send("PING") == .string("PONG"))
            // A pipeline spanning slots: each command goes to its own primary; outcomes come back in order.
            let names = try await client.pipeline((0..<40).map { RedisCommand("GET", "q:{t\($0)}:name") } + [RedisCommand("INCR", "q:{t7}:events")])
            #expect(names.prefix(40).map { try? $0.get().text } == (0..<40).map { "tenant \($0)" })
            #expect(throws: RedisError.self) { try names[40].get() }

            // Every key is on the primary that serves its slot, and the server computes the same slot.
            var total = 0
            for node in try await cluster.nodes() where node.isPrimary {
                let direct = cluster.direct[node.port]!
                let keys = try await direct.send("KEYS", "q:*").array?.compactMap(\.text) ?? []
                #expect(keys.count > tenants / 6, "each primary holds about a third of the keys")
                for key in keys.prefix(300) {
                    let slot = try await direct.send("CLUSTER", "KEYSLOT", key).int
                    #expect(slot == ClusterHashSlot.slot(of: key))
                }
                #expect(keys.allSatisfy { key in node.slots.contains { $0.contains(ClusterHashSlot.slot(of: key)) } })
                total += keys.count
            }
            #expect(total == 2 * tenants + 1)
            // The slot table was right from the start: no redirection was needed.
            #expect(client.clusterRouter?.clusterMetrics.count(.moved) == 0)
            #expect(client.clusterRouter?.clusterMetrics.count(.ask) == 0)
        }
    }

    @Test func crossSlotScriptIsRefusedBeforeSending() async throws {
        try await withTestCluster { cluster in
            let client = try cluster.client()
            defer { Task { await client.shutdown() } }
            try await client.waitUntilConnected(timeout: .seconds(10))
            func scriptCalls() async throws -> Int {
                var calls = 0
                for node in try await cluster.nodes() {
                    let info = try await cluster.direct[node.port]!.send("INFO", "commandstats").text ?? ""
                    for line in info.split(separator: "\r\n") where line.hasPrefix("cmdstat_evalsha:") || line.hasPrefix("cmdstat_eval:") {
                        calls += Int(line.split(separator: "=")[1].split(separator: ",")[0]) ?? 0
                    }
                }
                return calls
            }
            let before = try await scriptCalls()
            let error = await #expect(throws: RedisError.self) {
                try await client.evaluate(Self.increment, keys: ["q:{t1}:a", "q:{t2}:a"], arguments: [1])
            }
            #expect(error?.code == .crossSlot)
            #expect(error?.isOutcomeUnknown == false)
            let delete = await #expect(throws: RedisError.self) { try await client.send("DEL", "q:{t1}:a", "q:{t2}:a") }
            #expect(delete?.code == .crossSlot)
            #expect(try await scriptCalls() == before)
        }
    }

    @Test func movedDuringAMigrationUnderLoadLosesNothing() async throws {
        try await withTestCluster { cluster in
            let client = try cluster.client()
            defer { Task { await client.shutdown() } }
            try await client.waitUntilConnected(timeout: .seconds(10))
            let slot = ClusterHashSlot.slot(of: "mig")
            let source = try await cluster.primary(forSlot: slot)
            let target = try await cluster.otherPrimary(than: source)
            let keys = (0..<8).map { "q:{mig}:c\($0)" }
            let progress = Counter()
            let workers = 6, perWorker = 400
            let migration = Task {
                // Start once the stream runs; bounded wait.
                for _ in 0..<2000 where progress.value < 200 { try await Task.sleep(for: .milliseconds(2)) }
                try await cluster.beginMigration(slot: slot, from: source, to: target)
                for key in keys.prefix(4) { try await cluster.migrate(keys: [key], from: source, to: target) }
                try await cluster.migrateRemaining(slot: slot, from: source, to: target)
                try await cluster.finishMigration(slot: slot, from: source, to: target)
            }
            let errors = try await withThrowingTaskGroup(of: Int.self) { group in
                for worker in 0..<workers {
                    group.addTask {
                        var errors = 0
                        for index in 0..<perWorker {
                            do {
                                _ = try await client.evaluate(Self.increment, keys: [keys[(worker + index) % keys.count]], arguments: [1])
                            } catch {
                                errors += 1
                            }
                            progress.increment()
                        }
                        return errors
                    }
                }
                return try await group.reduce(0, +)
            }
            try await migration.value
            // After the migration, the client's stale table gets MOVED once and follows it.
            for key in keys { _ = try await client.evaluate(Self.increment, keys: [key], arguments: [1]) }
            #expect(errors == 0)
            var total = 0
            for key in keys { total += try await cluster.direct[target.port]!.send("GET", key).int ?? 0 }
            #expect(try await cluster.direct[source.port]!.send("CLUSTER", "COUNTKEYSINSLOT", slot) == .integer(0))
            #expect(total == workers * perWorker + keys.count)
            #expect(client.clusterRouter!.clusterMetrics.count(.moved) >= 1)
            #expect(client.clusterRouter!.primary(forSlot: slot)?.port == target.port)
        }
    }

    @Test func askDuringAnInProgressMigration() async throws {
        try await withTestCluster { cluster in
            let client = try cluster.client()
            defer { Task { await client.shutdown() } }
            try await client.waitUntilConnected(timeout: .seconds(10))
            let slot = ClusterHashSlot.slot(of: "ask")
            let source = try await cluster.primary(forSlot: slot)
            let target = try await cluster.otherPrimary(than: source)
            let keys = (0..<10).map { "q:{ask}:k\($0)" }
            for key in keys { _ = try await client.send("SET", key, 100) }
            try await cluster.beginMigration(slot: slot, from: source, to: target)
            try await cluster.migrate(keys: Array(keys.prefix(5)), from: source, to: target)

            // Concurrent single-key commands and scripts on both halves: ASKING + command never interleave.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<10 {
                    group.addTask {
                        for round in 0..<20 {
                            let key = keys[(worker + round) % keys.count]
                            if round % 2 == 0 {
                                _ = try await client.send("INCR", key)
                            } else {
                                _ = try await client.evaluate(Self.increment, keys: [key], arguments: [1])
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            for (index, key) in keys.enumerated() {
                // The importing node answers for the slot only after ASKING (one connection: nothing interleaves).
                let holder = cluster.direct[index < 5 ? target.port : source.port]!
                if index < 5 { _ = try await holder.send("ASKING") }
                #expect(try await holder.send("GET", key).int == 120)
            }
            let metrics = client.clusterRouter!.clusterMetrics
            #expect(metrics.count(.ask) >= 100)
            #expect(metrics.count(.moved) == 0)
            // ASK does not change the slot table.
            #expect(client.clusterRouter!.primary(forSlot: slot)?.port == source.port)
            try await cluster.migrateRemaining(slot: slot, from: source, to: target)
            try await cluster.finishMigration(slot: slot, from: source, to: target)
        }
    }

    @Test func tryAgainForAMultiKeyScriptIsRetriedUntilTheMigrationEnds() async throws {
        try await withTestCluster { cluster in
            let client = try cluster.client(commandTimeout: .seconds(8))
            defer { Task { await client.shutdown() } }
            try await client.waitUntilConnected(timeout: .seconds(10))
            let slot = ClusterHashSlot.slot(of: "try")
            let source = try await cluster.primary(forSlot: slot)
            let target = try await cluster.otherPrimary(than: source)
            let both = RedisScript("return redis.call('INCRBY', KEYS[1], 1) + redis.call('INCRBY', KEYS[2], 1)")
            _ = try await client.send("SET", "q:{try}:a", 10)
            _ = try await client.send("SET", "q:{try}:b", 20)
            #expect(try await client.evaluate(both, keys: ["q:{try}:a", "q:{try}:b"], arguments: []) == .integer(32))
            try await cluster.beginMigration(slot: slot, from: source, to: target)
            try await cluster.migrate(keys: ["q:{try}:a"], from: source, to: target)

            // One key on each node: the source answers TRYAGAIN until the migration ends.
            let script = Task { try await client.evaluate(both, keys: ["q:{try}:a", "q:{try}:b"], arguments: []) }
            let metrics = client.clusterRouter!.clusterMetrics
            for _ in 0..<2000 where metrics.count(.tryAgain) == 0 { try await Task.sleep(for: .milliseconds(2)) }
            #expect(metrics.count(.tryAgain) >= 1)
            try await cluster.migrateRemaining(slot: slot, from: source, to: target)
            try await cluster.finishMigration(slot: slot, from: source, to: target)
            #expect(try await script.value == .integer(34))
            #expect(try await cluster.direct[target.port]!.send("GET", "q:{try}:a").int == 12)
            #expect(try await cluster.direct[target.port]!.send("GET", "q:{try}:b").int == 22)
        }
    }

    @Test func noscriptOnOneNodeReloadsTheScriptThere() async throws {
        try await withTestCluster { cluster in
            let client = try cluster.client()
            defer { Task { await client.shutdown() } }
            try await client.waitUntilConnected(timeout: .seconds(10))
            let keys = (0..<60).map { "q:{n\($0)}:used" }
            for key in keys { #expect(try await client.evaluate(Self.increment, keys: [key], arguments: [1]) == .integer(1)) }
            let flushed = try await cluster.primary(forSlot: ClusterHashSlot.slot(of: "n0"))
            _ = try await cluster.direct[flushed.port]!.send("SCRIPT", "FLUSH")
            #expect(try await cluster.direct[flushed.port]!.send("SCRIPT", "EXISTS", Self.increment.sha1) == .array([.integer(0)]))
            for key in keys { #expect(try await client.evaluate(Self.increment, keys: [key], arguments: [1]) == .integer(2)) }
            #expect(try await cluster.direct[flushed.port]!.send("SCRIPT", "EXISTS", Self.increment.sha1) == .array([.integer(1)]))
        }
    }

    @Test func topologyRefreshesAreCoalesced() async throws {
        try await withTestCluster { cluster in
            let client = try cluster.client()
            defer { Task { await client.shutdown() } }
            try await client.waitUntilConnected(timeout: .seconds(10))
            let router = try #require(client.clusterRouter)
            let before = router.clusterMetrics.count(.refreshed)
            // 200 requests at once (as 200 commands answered MOVED would make): one read, plus one after it.
            let reads = (0..<200).map { _ in router.requestRefresh() }
            for read in reads { await read?.value }
            for _ in 0..<500 where router.state.withLock({ $0.refresh != nil }) { try await Task.sleep(for: .milliseconds(10)) }
            let refreshes = router.clusterMetrics.count(.refreshed) - before
            #expect(refreshes >= 1 && refreshes <= 2)
            #expect(router.clusterMetrics.count(.refreshFailed) == 0)
            #expect(router.primary(forSlot: 0) != nil && router.primary(forSlot: 16383) != nil)
            let topology = try #require(client.clusterTopology)
            #expect(topology.coveredSlots == ClusterHashSlot.count)
            #expect(topology.shards.count == 3 && topology.shards.allSatisfy { $0.replicas.count == 1 })
        }
    }

    @Test func clusterDownIsATypedRetryableErrorAtOnce() async throws {
        try await withTestCluster { cluster in
            let client = try cluster.client(commandTimeout: .seconds(5))
            defer { Task { await client.shutdown() } }
            try await client.waitUntilConnected(timeout: .seconds(10))
            let slot = ClusterHashSlot.slot(of: "down")
            _ = try await client.send("SET", "q:{down}:k", "v")
            // No node serves the slot any more: the cluster is down.
            for node in try await cluster.nodes() {
                _ = try await cluster.direct[node.port]!.send("CLUSTER", "DELSLOTS", slot)
            }
            let clock = ContinuousClock()
            let started = clock.now
            let error = await #expect(throws: RedisError.self) { try await client.send("GET", "q:{down}:k") }
            #expect(clock.now - started < .seconds(2), "fails fast, well within the 5 s command timeout")
            #expect(error?.serverState == .clusterDown)
            #expect(error?.isOutcomeUnknown == false)
            let scripted = await #expect(throws: RedisError.self) {
                try await client.evaluate(Self.increment, keys: ["q:{down}:n"], arguments: [1])
            }
            #expect(scripted?.serverState == .clusterDown)
        }
    }
}

/// A thread-safe counter for the tests' progress.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func increment() { lock.withLock { count += 1 } }
}
