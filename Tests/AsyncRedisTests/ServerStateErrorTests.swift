import AsyncRedis
import EmbeddedRedis
import Foundation
import Testing

/// Server refusals (OOM, READONLY, BUSY, ...) arrive typed, with a message that carries no reply text or SHA.
@Suite struct ServerStateErrorTests {
    @Test func recognisesEveryShape() {
        let sha = "7389571d7572e01e0dd01f1392fb2b813e89e061"
        let cases: [(String, RedisError.ServerState?)] = [
            ("OOM command not allowed when used memory > 'maxmemory'.", .outOfMemory),
            ("OOM command not allowed when used memory > 'maxmemory'. script: \(sha), on @user_script:1.", .outOfMemory),
            ("ERR Error running script (call to f_\(sha)): @user_script:1: @user_script: 1: -OOM command not allowed when used memory > 'maxmemory'. ", .outOfMemory),
            ("LOADING Redis is loading the dataset in memory", .loading),
            ("READONLY You can't write against a read only replica. script: \(sha), on @user_script:1.", .readOnly),
            ("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.", .busy),
            ("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.", .masterDown),
            ("TRYAGAIN Multiple keys request during rehashing of slot", .tryAgain),
            ("CLUSTERDOWN The cluster is down", .clusterDown),
            ("MISCONF Errors writing to the AOF file: No space left on device", .persistenceFailure),
            ("BUSYKEY Target key name already exists.", nil),
            ("BUSYGROUP Consumer Group name already exists", nil),
            ("ERR value is not an integer or out of range", nil),
            ("ERR user_script:1: OOM in a message is not a state script: \(sha), on @user_script:1.", nil),
        ]
        for (reply, state) in cases {
            let error = RedisError(serverError: reply)
            #expect(error.code == .serverError)
            #expect(!error.isOutcomeUnknown)
            #expect(error.serverState == state, "\(reply)")
            if let state {
                #expect(error.serverErrorPrefix.map(String.init) == state.prefix)
                #expect(!error.message.contains(sha))
                #expect(!error.message.contains("user_script"))
                #expect(error.message.hasSuffix("the command was not run"))
            } else {
                #expect(error.message == reply)
            }
        }
    }

    @Test func outOfMemoryForCommandsAndScripts() async throws {
        try await withClient(poolSize: 1) { client, _ in
            _ = try await client.send("CONFIG", "SET", "maxmemory-policy", "noeviction")
            _ = try await client.send("CONFIG", "SET", "maxmemory", "1")
            let plain = await capture { try await client.send("SET", "oom:plain", "v") }
            #expect(plain?.serverState == .outOfMemory)
            #expect(plain?.serverErrorPrefix == "OOM")
            #expect(plain?.isOutcomeUnknown == false)

            let script = RedisScript("redis.call('SET', KEYS[1], ARGV[1]) return 1")
            // First via EVALSHA → NOSCRIPT → EVAL, then via EVALSHA of the cached script.
            for _ in 0..<2 {
                let scripted = await capture { try await client.evaluate(script, keys: ["oom:script"], arguments: ["v"]) }
                #expect(scripted?.serverState == .outOfMemory)
                #expect(scripted?.message.contains(script.sha1) == false)
                #expect(scripted?.message.contains("user_script") == false)
            }
            _ = try await client.send("CONFIG", "SET", "maxmemory", "0")
            // Nothing was written.
            #expect(try await client.send("EXISTS", "oom:plain", "oom:script") == .integer(0))
        }
    }

    @Test func readOnlyAndMasterDownOnAReplica() async throws {
        try await withClient(poolSize: 1) { client, _ in
            let closedPort = try RedisServer.freePort()
            _ = try await client.send("REPLICAOF", "127.0.0.1", "\(closedPort)")
            let write = await capture { try await client.send("SET", "ro:key", "v") }
            #expect(write?.serverState == .readOnly)
            let script = RedisScript("redis.call('SET', KEYS[1], ARGV[1]) return 1")
            let scripted = await capture { try await client.evaluate(script, keys: ["ro:script"], arguments: ["v"]) }
            #expect(scripted?.serverState == .readOnly)
            #expect(scripted?.message.contains(script.sha1) == false)

            _ = try await client.send("CONFIG", "SET", "replica-serve-stale-data", "no")
            let read = await capture { try await client.send("GET", "ro:key") }
            #expect(read?.serverState == .masterDown)
            _ = try await client.send("REPLICAOF", "NO", "ONE")
            #expect(try await client.send("EXISTS", "ro:key", "ro:script") == .integer(0))
        }
    }

    @Test func busyWhileAScriptRunsAndNotAfterScriptKill() async throws {
        try await withClient(poolSize: 1) { admin, server in
            _ = try await admin.send("CONFIG", "SET", "busy-reply-threshold", "50")
            let looper = try await makeClient(server, poolSize: 1, commandTimeout: .seconds(30))
            let probe = try await makeClient(server, poolSize: 1, commandTimeout: .seconds(5))
            let looping = Task { await capture { try await looper.send("EVAL", "while true do end", "0") } }
            // Wait (bounded) for the condition: the server answers BUSY.
            var busy: RedisError?
            let clock = ContinuousClock()
            let start = clock.now
            for _ in 0..<200 where busy == nil && clock.now - start < .seconds(10) {
                busy = await capture { try await probe.send("PING") }
                if busy == nil { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(busy?.serverState == .busy)
            #expect(busy?.isOutcomeUnknown == false)
            let write = await capture { try await probe.send("SET", "busy:key", "v") }
            #expect(write?.serverState == .busy)
            _ = try await admin.send("SCRIPT", "KILL")
            // The killed script's own error is not a server state.
            let killed = await looping.value
            #expect(killed?.code == .serverError)
            #expect(killed?.serverState == nil)
            #expect(try await admin.send("EXISTS", "busy:key") == .integer(0))
            await probe.shutdown()
            await looper.shutdown()
        }
    }

    @Test func persistenceFailureAfterAFailedSave() async throws {
        try await withClient(serverArguments: ["--enable-protected-configs", "yes"], poolSize: 1) { client, server in
            // Point the server at a directory that no longer exists, so BGSAVE fails; with save points set,
            // the server then refuses writes with MISCONF.
            let gone = server.directory.appendingPathComponent("gone")
            try FileManager.default.createDirectory(at: gone, withIntermediateDirectories: true)
            _ = try await client.send("CONFIG", "SET", "dir", gone.path)
            try FileManager.default.removeItem(at: gone)
            _ = try await client.send("CONFIG", "SET", "save", "3600 1")
            _ = try await client.send("BGSAVE")
            var failed = false
            let clock = ContinuousClock()
            let start = clock.now
            for _ in 0..<300 where !failed && clock.now - start < .seconds(10) {
                failed = (try await client.send("INFO", "persistence").text ?? "").contains("rdb_last_bgsave_status:err")
                if !failed { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(failed)
            let write = await capture { try await client.send("SET", "misconf:key", "v") }
            #expect(write?.serverState == .persistenceFailure)
            _ = try await client.send("CONFIG", "SET", "save", "")
            _ = try await client.send("CONFIG", "SET", "dir", server.directory.path)
            #expect(try await client.send("EXISTS", "misconf:key") == .integer(0))
        }
    }
}

/// The ``RedisError`` `body` throws, or nil when it succeeds (any other error is recorded as an issue).
func capture<T>(_ body: () async throws -> T) async -> RedisError? {
    do {
        _ = try await body()
        return nil
    } catch let error as RedisError {
        return error
    } catch {
        Issue.record("unexpected error \(error)")
        return RedisError(.protocolError, "\(error)")
    }
}
