import AsyncRedis
import Foundation
import Logging
import EmbeddedRedis
import Testing

@Suite struct RedisClientTests {
    @Test func everyReplyType() async throws {
        try await withClient { client, _ in
            // status
            #expect(try await client.send("SET", "k", "v") == .string("OK"))
            #expect(try await client.send("PING") == .string("PONG"))
            // bulk
            #expect(try await client.send("GET", "k") == .bulk(Array("v".utf8)))
            // integer
            #expect(try await client.send("INCR", "n") == .integer(1))
            // null
            #expect(try await client.send("GET", "missing") == .null)
            // array, nested array, nested error and nested null
            _ = try await client.send("RPUSH", "list", "a", "b")
            #expect(try await client.send("LRANGE", "list", "0", "-1") == .array([.bulk(Array("a".utf8)), .bulk(Array("b".utf8))]))
            let nested = try await client.evaluate(
                RedisScript("return {1, {2, 'x'}, redis.error_reply('BAD thing'), false}"), keys: [], arguments: []
            )
            #expect(nested == .array([.integer(1), .array([.integer(2), .bulk(Array("x".utf8))]), .error("BAD thing"), .null]))
            // empty array
            #expect(try await client.send("LRANGE", "nothing", "0", "-1") == .array([]))
        }
    }

    @Test func serverErrorsAreTypedErrors() async throws {
        try await withClient { client, _ in
            _ = try await client.send("SET", "s", "text")
            await #expect { try await client.send("INCR", "s") } throws: { error in
                guard let error = error as? RedisError else { return false }
                return error.code == .serverError && !error.isOutcomeUnknown && error.message.hasPrefix("ERR value is not an integer")
            }
            await #expect { try await client.send("LPUSH", "s", "x") } throws: { error in
                (error as? RedisError)?.serverErrorPrefix == "WRONGTYPE"
            }
            await #expect { try await client.send("NOSUCHCOMMAND") } throws: { ($0 as? RedisError)?.code == .serverError }
            // The connection is still healthy after error replies.
            #expect(try await client.ping() == "PONG")
        }
    }

    @Test func binaryValuesWithNULBytesAndOneMebibyte() async throws {
        try await withClient { client, _ in
            let binary: [UInt8] = [0, 1, 2, 0, 255, 13, 10, 0, 36, 42]
            let binaryKey: [UInt8] = [107, 0, 107, 255]
            _ = try await client.send(RedisCommand("SET", binaryKey, binary))
            #expect(try await client.send(RedisCommand("GET", binaryKey)) == .bulk(binary))
            #expect(try await client.send(RedisCommand("STRLEN", binaryKey)) == .integer(binary.count))

            var big = [UInt8](repeating: 0, count: 1 << 20)
            for index in big.indices { big[index] = UInt8(truncatingIfNeeded: index &* 31 &+ 7) }
            try await client.set("big", big)
            #expect(try await client.get("big") == big)
            // Empty values are fine too.
            try await client.set("empty", [])
            #expect(try await client.get("empty") == [])
        }
    }

    @Test func tenThousandCommandsFromOneThousandTasks() async throws {
        try await withClient(poolSize: 4) { client, _ in
            let mismatches = try await withThrowingTaskGroup(of: Int.self) { group in
                for task in 0..<1000 {
                    group.addTask {
                        var wrong = 0
                        for step in 0..<10 {
                            let payload = "task-\(task)-step-\(step)"
                            if try await client.send("ECHO", payload) != .bulk(Array(payload.utf8)) { wrong += 1 }
                        }
                        return wrong
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(mismatches == 0)
            // Every command reached the server exactly once.
            let info = try await client.send("INFO", "commandstats").text ?? ""
            #expect(info.contains("cmdstat_echo:calls=10000,"))
        }
    }

    @Test func authAndSelect() async throws {
        try await withRedisServer(["--requirepass", "s3cret"]) { server in
            let client = try await makeClient(server)
            // Without the password every command is refused by the server.
            await #expect { try await client.send("SET", "a", "1") } throws: { ($0 as? RedisError)?.serverErrorPrefix == "NOAUTH" }
            await client.shutdown()

            var configuration = try RedisConfiguration(url: "redis://:s3cret@127.0.0.1:\(server.port)/5")
            configuration.poolSize = 1
            let authed = RedisClient(configuration: configuration, logger: .init(label: "test"))
            try await authed.waitUntilConnected(timeout: .seconds(5))
            _ = try await authed.send("SET", "in-db-5", "yes")
            let clientInfo = try await authed.send("CLIENT", "INFO").text ?? ""
            #expect(clientInfo.contains(" db=5 "))
            await authed.shutdown()

            let db0 = RedisClient(configuration: try RedisConfiguration(url: "redis://:s3cret@127.0.0.1:\(server.port)/0"), logger: .init(label: "test"))
            try await db0.waitUntilConnected(timeout: .seconds(5))
            #expect(try await db0.send("EXISTS", "in-db-5") == .integer(0))
            _ = try await db0.send("SELECT", "5")
            await db0.shutdown()

            // A wrong password never connects; commands fail fast as not connected, naming the reason.
            var wrong = try RedisConfiguration(url: "redis://:nope@127.0.0.1:\(server.port)")
            wrong.poolSize = 1
            let refused = RedisClient(configuration: wrong, logger: .init(label: "test"))
            // The start-up wait names the cause, not only the timeout.
            await #expect { try await refused.waitUntilConnected(timeout: .milliseconds(500)) } throws: { error in
                guard let error = error as? RedisError else { return false }
                return error.code == .connectionFailed && error.message.contains("AUTH refused") && !error.message.contains("nope")
            }
            await #expect { try await refused.ping() } throws: { error in
                guard let error = error as? RedisError else { return false }
                return error.code == .notConnected && error.message.contains("AUTH refused")
            }
            await refused.shutdown()

            // A database index the server does not have says so too.
            var badDB = try RedisConfiguration(url: "redis://:s3cret@127.0.0.1:\(server.port)/99")
            badDB.poolSize = 1
            let noDB = RedisClient(configuration: badDB, logger: .init(label: "test"))
            await #expect { try await noDB.waitUntilConnected(timeout: .milliseconds(500)) } throws: { error in
                guard let error = error as? RedisError else { return false }
                return error.message.contains("SELECT 99 refused")
            }
            await noDB.shutdown()
        }
    }

    @Test func unixSocket() async throws {
        let socketPath = FileManager.default.temporaryDirectory.appendingPathComponent("quotad-\(UUID().uuidString.prefix(8)).sock").path
        try await withRedisServer(["--unixsocket", socketPath, "--unixsocketperm", "700"]) { _ in
            let client = RedisClient(configuration: try RedisConfiguration(url: "unix://\(socketPath)"), logger: .init(label: "test"))
            try await client.waitUntilConnected(timeout: .seconds(5))
            #expect(try await client.ping() == "PONG")
            await client.shutdown()
        }
    }

    @Test func commandTimeoutIsHonoured() async throws {
        try await withClient(poolSize: 1, commandTimeout: .milliseconds(300)) { client, server in
            let admin = try await makeClient(server, poolSize: 1)
            _ = try await admin.send("CLIENT", "PAUSE", "2000", "ALL")
            let clock = ContinuousClock()
            let start = clock.now
            await #expect { try await client.send("GET", "x") } throws: { error in
                guard let error = error as? RedisError else { return false }
                return error.code == .timeout && error.isOutcomeUnknown
            }
            let elapsed = clock.now - start
            // The pause lasts 2 s; the caller must be released near its 300 ms timeout.
            #expect(elapsed >= .milliseconds(250))
            #expect(elapsed < .milliseconds(1200))
            await admin.shutdown()
        }
    }

    @Test func reconnectsAfterServerKilledAndRestarted() async throws {
        try await withClient(poolSize: 2) { client, server in
            _ = try await client.send("SET", "before", "1")
            server.kill()
            // Once the loss is noticed, calls fail fast and typed; none hangs.
            var failures = 0
            for _ in 0..<4 {
                do { _ = try await client.ping() } catch let error as RedisError {
                    #expect([.notConnected, .connectionLost, .timeout].contains(error.code))
                    failures += 1
                }
            }
            #expect(failures >= 2)
            try server.start()
            try await client.waitUntilConnected(timeout: .seconds(5))
            var answered = false
            for _ in 0..<4 where !answered {
                // A connection that has not yet noticed the restart may fail once; the pool then recovers.
                answered = (try? await client.ping()) == "PONG"
            }
            #expect(answered)
        }
    }

    @Test func noscriptRecoveryAfterScriptFlush() async throws {
        try await withClient { client, _ in
            let script = RedisScript("return redis.call('INCR', KEYS[1])")
            #expect(try await client.evaluate(script, keys: ["runs"], arguments: []) == .integer(1))
            _ = try await client.send("SCRIPT", "FLUSH")
            #expect(try await client.evaluate(script, keys: ["runs"], arguments: []) == .integer(2))
            #expect(try await client.evaluate(script, keys: ["runs"], arguments: []) == .integer(3))
            let exists = try await client.send("SCRIPT", "EXISTS", script.sha1)
            #expect(exists == .array([.integer(1)]))
        }
    }

    @Test func outcomeUnknownIsSurfacedAndNeverRetried() async throws {
        try await withClient(serverArguments: ["--enable-debug-command", "yes"], poolSize: 1, commandTimeout: .milliseconds(200)) { client, server in
            let sleeper = try await makeClient(server, poolSize: 1, commandTimeout: .seconds(10))
            let probe = try await makeClient(server, poolSize: 1, commandTimeout: .milliseconds(50))
            let sleeping = Task { try await sleeper.send("DEBUG", "SLEEP", "1.5") }
            // Wait until the server is really asleep: a probe PING stops getting answers.
            var asleep = false
            for _ in 0..<200 where !asleep {
                do { _ = try await probe.ping() } catch let error as RedisError where error.code == .timeout {
                    asleep = true
                } catch {}
            }
            #expect(asleep)
            await #expect { try await client.send("INCR", "charged") } throws: { error in
                guard let error = error as? RedisError else { return false }
                return error.isOutcomeUnknown && error.code == .timeout
            }
            _ = try await sleeping.value
            // The written INCR ran once when the server woke up; the client did not send it again.
            let checker = try await makeClient(server, poolSize: 1)
            #expect(try await checker.send("GET", "charged") == .bulk(Array("1".utf8)))
            let info = try await checker.send("INFO", "commandstats").text ?? ""
            #expect(info.contains("cmdstat_incr:calls=1,"))
            await checker.shutdown()
            await probe.shutdown()
            await sleeper.shutdown()
        }
    }

    @Test func commandsWhileDisconnectedFailFast() async throws {
        let server = try RedisServer.onFreePort()
        let client = try await makeClient(server, poolSize: 1, commandTimeout: .seconds(5))
        server.destroy()
        let clock = ContinuousClock()
        // After the loss is noticed, no call waits for the 5 s timeout.
        _ = try? await client.ping()
        let start = clock.now
        await #expect(throws: RedisError.self) { try await client.ping() }
        #expect(clock.now - start < .seconds(2))
        await client.shutdown()
        await #expect { try await client.ping() } throws: { ($0 as? RedisError)?.code == .clientShutdown }
    }
}
