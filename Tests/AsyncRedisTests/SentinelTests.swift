@testable import AsyncRedis
import EmbeddedRedis
import Foundation
import Logging
import Synchronization
import Testing

/// Sentinel mode against a real deployment: 1 primary, 1 replica, 3 sentinels on loopback.
@Suite("Sentinel mode", .serialized)
struct SentinelTests {
    @Test("the sentinel configuration parses host:port lists and refuses bad ones")
    func configuration() throws {
        let configuration = try RedisConfiguration(sentinels: ["127.0.0.1:26379", " [::1]:26380 ", ""], masterName: "m", password: "pw")
        #expect(configuration.mode == .sentinel(sentinels: ["127.0.0.1:26379", "[::1]:26380"], masterName: "m"))
        #expect(configuration.password == "pw")
        #expect(throws: RedisError.self) { try RedisConfiguration(sentinels: ["nohost"], masterName: "m") }
        #expect(throws: RedisError.self) { try RedisConfiguration(sentinels: [], masterName: "m") }
        #expect(throws: RedisError.self) { try RedisConfiguration(sentinels: ["127.0.0.1:1"], masterName: "") }
    }

    @Test("kill -9 of the primary under acknowledged writes: the client follows the promoted replica, no acknowledged write is lost")
    func failover() async throws {
        try await withSentinelDeployment { deployment in
            let client = try deployment.client(commandTimeout: .seconds(1))
            try await client.waitUntilConnected(timeout: .seconds(5))
            let monitor = try #require(client.sentinelMonitor)
            #expect(try await client.send("ROLE").array?.first?.text == "master")
            #expect(monitor.state.withLock { $0.address?.port } == deployment.primary.port)

            let stream = AcknowledgedStream(tag: "sentinel")
            let oldPort = deployment.primary.port
            async let streaming: Void = stream.run(client: client, workers: 2, timeLimit: .seconds(40))
            do {
                try await waitFor("100 acknowledged increments", within: .seconds(10)) { stream.successes >= 100 }
                let killedAt = ContinuousClock.now
                stream.markKill()
                deployment.primary.kill()
                // The sentinels promote the replica (down-after 1 s, then the election).
                var newPort: Int?
                try await waitFor("the sentinels to name a new primary", within: .seconds(20)) {
                    if let port = await deployment.sentinelPrimaryPort(), port != oldPort { newPort = port }
                    return newPort != nil
                }
                let promotedAt = ContinuousClock.now
                // The promoted primary has no replica left: the old one comes back as its replica (as a supervisor
                // would restart it), so writes can be acknowledged again.
                let rejoined = try RedisServer(port: oldPort, extraArguments: [
                    "--replicaof", "127.0.0.1", "\(newPort!)", "--repl-diskless-sync-delay", "0",
                ])
                deployment.adopt(rejoined)
                let before = stream.successes
                try await waitFor("100 more acknowledged increments", within: .seconds(20)) { stream.successes >= before + 100 }
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
                    sentinel failover: acknowledged=\(log.succeeded.count) lost acknowledged=\(lost) \
                    recovery (first failed → first acknowledged call)=\(recovered - firstFailure) \
                    kill → sentinels named the new primary=\(promotedAt - killedAt) \
                    failed calls=\(log.failures) (outcome unknown \(log.outcomeUnknown), by code \(log.errors)) \
                    failovers seen=\(monitor.sentinelMetrics.failovers) discoveries=\(monitor.sentinelMetrics.discoveries)
                    """)
                #expect(lost == 0)
                #expect(counter == applied)
                // Under load the sentinels may fail over a second time (back to the rejoined server): the client
                // must end on whichever primary they name now, having followed at least the first failover.
                #expect(monitor.sentinelMetrics.failovers >= 1)
                try await waitFor("the client to follow the sentinels' current primary", within: .seconds(15)) {
                    guard let followed = monitor.state.withLock({ $0.address?.port }) else { return false }
                    return await deployment.sentinelPrimaryPort() == followed
                }
                #expect(try await client.send("ROLE").array?.first?.text == "master")
                #expect(recovered - firstFailure < .seconds(15))
            } catch {
                stream.stop()
                await streaming
                await client.shutdown()
                throw error
            }
            await client.shutdown()
        }
    }

    @Test("a manual failover (SENTINEL FAILOVER) under acknowledged writes: the client switches, none is lost")
    func manualFailover() async throws {
        try await withSentinelDeployment { deployment in
            let client = try deployment.client(commandTimeout: .seconds(1))
            try await client.waitUntilConnected(timeout: .seconds(5))
            let monitor = try #require(client.sentinelMonitor)
            let stream = AcknowledgedStream(tag: "manual")
            async let streaming: Void = stream.run(client: client, workers: 2, timeLimit: .seconds(30))
            do {
                try await waitFor("50 acknowledged increments", within: .seconds(10)) { stream.successes >= 50 }
                let sentinel = try await directClient(port: ClusterNodeAddress(deployment.sentinelAddresses[0])!.port)
                #expect(try await sentinel.send("SENTINEL", "FAILOVER", SentinelDeployment.masterName) == .string("OK"))
                await sentinel.shutdown()
                try await waitFor("the client to switch primaries", within: .seconds(15)) { monitor.sentinelMetrics.failovers >= 1 }
                // Writes sent to the old primary after the promotion could not be acknowledged (its replica left
                // it): they failed as notReplicated and were retried; the new primary has every acknowledged one.
                stream.stop()
                await streaming

                let log = stream.log.withLock { $0 }
                let (lost, counter, applied) = try await stream.verify(with: client)
                print("sentinel manual failover: acknowledged=\(log.succeeded.count) lost acknowledged=\(lost) failed calls=\(log.failures) by code \(log.errors)")
                #expect(lost == 0)
                #expect(counter == applied)
                try await waitFor("the client to follow the sentinels' current primary", within: .seconds(15)) {
                    guard let followed = monitor.state.withLock({ $0.address?.port }) else { return false }
                    return await deployment.sentinelPrimaryPort() == followed
                }
                #expect(try await client.send("ROLE").array?.first?.text == "master")
                #expect(try await client.send("INCR", "{manual}:after").int == 1)
            } catch {
                stream.stop()
                await streaming
                await client.shutdown()
                throw error
            }
            await client.shutdown()
        }
    }

    @Test("a primary turned replica behind the sentinels' back answers READONLY: the client stops writing to it")
    func neverWritesToAReplica() async throws {
        try await withSentinelDeployment { deployment in
            let client = try deployment.client(commandTimeout: .milliseconds(800))
            try await client.waitUntilConnected(timeout: .seconds(5))
            let monitor = try #require(client.sentinelMonitor)
            #expect(try await client.send("SET", "before", "1") == .string("OK"))
            // Swap the roles directly: the sentinels still name the old primary for a while.
            let replica = try await directClient(port: deployment.replica.port)
            let primary = try await directClient(port: deployment.primary.port)
            #expect(try await replica.send("REPLICAOF", "NO", "ONE") == .string("OK"))
            #expect(try await primary.send("REPLICAOF", "127.0.0.1", deployment.replica.port) == .string("OK"))
            await replica.shutdown()

            // READONLY drops the primary; discovery names the same server, ROLE says slave, so nothing is sent.
            let error = await #expect(throws: RedisError.self) { try await client.send("SET", "after", "1") }
            #expect(error?.code == .notConnected)
            #expect(error?.isOutcomeUnknown == false)
            #expect(monitor.sentinelMetrics.failedDiscoveries > 0)
            #expect(monitor.state.withLock { $0.pool == nil })
            #expect(try await primary.send("ROLE").array?.first?.text == "slave")
            await primary.shutdown()
            await client.shutdown()
        }
    }
}

/// Password-protected sentinels (their own `requirepass`) in front of a password-protected primary.
@Suite("Sentinel mode with credentials", .serialized)
struct SentinelCredentialsTests {
    /// A client through `sentinel`. The connect timeout bounds each discovery's connection to the primary, so
    /// it is generous: with every suite starting at once on two cores, a connection and its handshake can take
    /// longer than half a second.
    static func client(sentinel: SentinelDeployment.Sentinel, sentinelPassword: String?) throws -> RedisClient {
        let configuration = try RedisConfiguration(
            sentinels: ["127.0.0.1:\(sentinel.port)"], masterName: SentinelDeployment.masterName, password: "primary-pw",
            sentinelPassword: sentinelPassword, poolSize: 1, connectTimeout: .seconds(2), commandTimeout: .seconds(2)
        )
        return RedisClient(configuration: configuration, logger: Logger(label: "test.sentinel.auth"))
    }

    @Test("the client authenticates to the sentinels and to the primary; without the sentinels' password nothing connects")
    func authenticatedSentinels() async throws {
        let primary = try RedisServer(extraArguments: ["--requirepass", "primary-pw"])
        defer { primary.destroy() }
        let sentinel = try SentinelDeployment.launchSentinel { _ in
            """
            requirepass sentinel-pw
            sentinel monitor \(SentinelDeployment.masterName) 127.0.0.1 \(primary.port) 1
            sentinel auth-pass \(SentinelDeployment.masterName) primary-pw
            """
        }
        defer { SentinelDeployment.stop(sentinel) }

        let client = try Self.client(sentinel: sentinel, sentinelPassword: "sentinel-pw")
        do {
            try await client.waitUntilConnected(timeout: .seconds(20))
            #expect(try await client.send("SET", "k", "v") == .string("OK"))
            #expect(try await client.send("GET", "k") == .bulk(Array("v".utf8)))
            #expect(try await client.send("ROLE").array?.first?.text == "master")
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()

        let refused = try Self.client(sentinel: sentinel, sentinelPassword: nil)
        await #expect(throws: RedisError.self) { try await refused.waitUntilConnected(timeout: .seconds(1)) }
        let monitor = try #require(refused.sentinelMonitor)
        do {
            try await waitFor("a failed discovery", within: .seconds(20)) { monitor.sentinelMetrics.failedDiscoveries > 0 }
        } catch {
            await refused.shutdown()
            throw error
        }
        #expect(refused.isConnected == false)
        await refused.shutdown()
    }
}

/// Polls `condition` every 20 ms until it holds; throws after `within` (bounded by time and count).
func waitFor(_ what: String, within limit: Duration, _ condition: () async throws -> Bool) async throws {
    let end = ContinuousClock.now + limit
    let maximumPolls = Int(limit / .milliseconds(20)) + 1
    for _ in 0..<maximumPolls {
        if try await condition() { return }
        guard ContinuousClock.now < end else { break }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw RedisServerErrorText("timed out after \(limit) waiting for \(what)")
}
