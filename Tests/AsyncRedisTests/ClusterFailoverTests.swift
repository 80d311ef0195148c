@testable import AsyncRedis
import EmbeddedRedis
import Foundation
import Logging
import Synchronization
import Testing

/// A cluster primary killed under acknowledged writes (`acknowledgedBy: 1`) on keys of its slots.
@Suite("Cluster failover", .serialized)
struct ClusterFailoverTests {
    @Test("kill -9 of a primary under acknowledged scripts: its replica takes over, no acknowledged write is lost")
    func primaryKilled() async throws {
        try await withTestCluster { cluster in
            // The killed node resynchronises as a replica without the default 5 s diskless-sync delay.
            for node in cluster.direct.values {
                #expect(try await node.send("CONFIG", "SET", "repl-diskless-sync-delay", "0") == .string("OK"))
            }
            let client = try cluster.client(commandTimeout: .seconds(2))
            try await client.waitUntilConnected(timeout: .seconds(10))
            let tag = "failover"
            let slot = ClusterHashSlot.slot(of: "{\(tag)}")
            let victim = try await cluster.primary(forSlot: slot)
            let witness = try await cluster.otherPrimary(than: victim)
            let victimServer = try #require(cluster.servers.first { $0.port == victim.port })

            let stream = AcknowledgedStream(tag: tag)
            async let streaming: Void = stream.run(client: client, workers: 2, timeLimit: .seconds(40))
            do {
                try await waitFor("100 acknowledged scripts", within: .seconds(10)) { stream.successes >= 100 }
                let killedAt = ContinuousClock.now
                stream.markKill()
                victimServer.kill()
                // cluster-node-timeout 2000: the replica is promoted a few seconds later.
                var promoted: TestCluster.Node?
                try await waitFor("the replica to take over the slot", within: .seconds(20)) {
                    let nodes = (try? await cluster.nodes(askingPort: witness.port)) ?? []
                    promoted = nodes.first { $0.isPrimary && $0.port != victim.port && $0.slots.contains { $0.contains(slot) } }
                    return promoted != nil
                }
                let promotedAt = ContinuousClock.now
                // The new primary has no replica: the killed node restarts (as a supervisor would) and rejoins as
                // its replica, so writes can be acknowledged again.
                try victimServer.start()
                let before = stream.successes
                try await waitFor("100 more acknowledged scripts", within: .seconds(25)) { stream.successes >= before + 100 }
                stream.stop()
                await streaming

                let log = stream.log.withLock { $0 }
                let (lost, counter, applied) = try await stream.verify(with: client)
                let firstFailure = try #require(log.firstFailure)
                let recovered = try #require(log.firstSuccessAfterFailure)
                let backAfterKill = try #require(log.firstSuccessAfterKill)
                let lastFailure = try #require(log.lastFailure)
                print("""
                    kill → first acknowledged call started after it=\(backAfterKill - killedAt) \
                    calls failed from kill+\(firstFailure - killedAt) to kill+\(lastFailure - killedAt) \
                    cluster failover: acknowledged=\(log.succeeded.count) lost acknowledged=\(lost) \
                    failover window (first failed → first acknowledged call)=\(recovered - firstFailure) \
                    (last failed call \(lastFailure - firstFailure) after the first) \
                    kill → replica owns the slot=\(promotedAt - killedAt) \
                    failed calls=\(log.failures) (outcome unknown \(log.outcomeUnknown), by code \(log.errors))
                    """)
                #expect(lost == 0)
                #expect(counter == applied)
                #expect(client.clusterRouter?.primary(forSlot: slot)?.port == promoted?.port)
                #expect(recovered - firstFailure < .seconds(20))
            } catch {
                stream.stop()
                await streaming
                await client.shutdown()
                throw error
            }
            await client.shutdown()
        }
    }
}
