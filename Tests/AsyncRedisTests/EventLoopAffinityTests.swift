@testable import AsyncRedis
import EmbeddedRedis
import NIOCore
import NIOPosix
import Testing

/// Connections live on the event loops, and a caller running on a loop is served by a connection of that
/// loop, so its command and reply never change thread.
@Suite struct EventLoopAffinityTests {
    @Test(.timeLimit(.minutes(1))) func aCallerOnAnEventLoopIsServedByThatLoopsConnection() async throws {
        try await withClient(poolSize: 4) { (client: RedisClient, _: RedisServer) async throws in
            try await checkAffinity(client)
        }
    }

    private func checkAffinity(_ client: RedisClient) async throws {
        guard case .standalone(let pool) = client.backend else {
            Issue.record("expected a standalone client")
            return
        }
        // The client is ready once one connection is up; the others may still be connecting, and pick() skips them.
        for connection in pool.connections { try await connection.waitUntilConnected() }
        let loops: [any EventLoop] = Array(MultiThreadedEventLoopGroup.singleton.makeIterator())
        #expect(pool.connections.count == max(4, loops.count))
        for loop in loops {
            #expect(pool.connections.contains { $0.eventLoop === loop })
            for _ in 0..<8 {
                let picked: RedisConnection = try await loop.submit { pool.pick() }.get()
                #expect(picked.eventLoop === loop)
            }
            let stayedOnLoop: Bool = try await withTaskExecutorPreference(LoopExecutor(loop)) { () async throws -> Bool in
                let reply: RedisReply = try await client.send("INCR", "affinity")
                return reply.int != nil && loop.inEventLoop
            }
            #expect(stayedOnLoop)
        }
    }
}

/// Runs a task's jobs on one event loop.
private final class LoopExecutor: TaskExecutor {
    let loop: any EventLoop

    init(_ loop: any EventLoop) { self.loop = loop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
