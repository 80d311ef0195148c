import AsyncRedis
import EmbeddedRedis
import Testing

/// `RedisClient.pipeline`: outcomes in order, error replies per command, back-to-back writes on one
/// connection, and whole-batch failures.
@Suite struct PipelineTests {
    @Test func outcomesComeBackInOrderWithErrorRepliesPerCommand() async throws {
        try await withClient(poolSize: 1) { client, _ in
            #expect(try await client.pipeline([]).isEmpty)
            let outcomes = try await client.pipeline([
                RedisCommand("SET", "p:a", "1"), RedisCommand("INCR", "p:a"), RedisCommand("HGET", "p:a", "f"),
                RedisCommand("INCR", "p:a"), RedisCommand("GET", "p:a"),
            ])
            #expect(outcomes.count == 5)
            #expect(try outcomes[0].get() == .string("OK"))
            #expect(try outcomes[1].get() == .integer(2))
            let wrongType = #expect(throws: RedisError.self) { try outcomes[2].get() }
            #expect(wrongType?.serverErrorPrefix == "WRONGTYPE")
            #expect(try outcomes[3].get() == .integer(3))
            #expect(try outcomes[4].get().text == "3")
            // One round trip for the batch; the next command still gets its own reply.
            #expect(try await client.send("GET", "p:a").text == "3")
        }
    }

    /// 32 tasks share one connection; each pipelines SET then GET of the same key 100 times. Written back
    /// to back and run in order, each GET must see its own task's SET, never another task's.
    @Test func aBatchIsWrittenBackToBackOnOneConnection() async throws {
        try await withClient(poolSize: 1) { client, _ in
            let foreign = try await withThrowingTaskGroup(of: Int.self) { group in
                for task in 0..<32 {
                    group.addTask {
                        var seenOthers = 0
                        for round in 0..<100 {
                            let value = "\(task)-\(round)"
                            let outcomes = try await client.pipeline([RedisCommand("SET", "p:shared", value), RedisCommand("GET", "p:shared")])
                            if try outcomes[1].get().text != value { seenOthers += 1 }
                        }
                        return seenOthers
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(foreign == 0)
            let info = try await client.send("INFO", "commandstats").text ?? ""
            #expect(info.contains("cmdstat_set:calls=3200,"))
        }
    }

    @Test func aShutDownClientFailsTheWholeBatchUnsent() async throws {
        try await withRedisServer { server in
            let client = try await makeClient(server, poolSize: 1)
            await client.shutdown()
            let error = await #expect(throws: RedisError.self) {
                try await client.pipeline([RedisCommand("INCR", "p:n"), RedisCommand("INCR", "p:n")])
            }
            #expect(error?.code == .clientShutdown)
            #expect(error?.isOutcomeUnknown == false)
            let admin = try await makeClient(server, poolSize: 1)
            #expect(try await admin.send("EXISTS", "p:n") == .integer(0))
            await admin.shutdown()
        }
    }
}
