import CoreMetrics
import Logging

extension RedisClient {
    /// Sends a write and then `WAIT replicas timeout` on the same connection, back to back, and returns the
    /// write's reply only once at least `replicas` replicas have acknowledged it.
    ///
    /// The pair goes to the standalone server, the primary of the command's keys (cluster mode) or the
    /// current primary (sentinel mode); nothing else is written between the two on that connection. With
    /// `replicas` 0 this is exactly ``send(_:)``. The caller waits at most the command timeout plus `timeout`.
    ///
    /// `WAIT` blocks its connection on the server: commands other callers pipelined behind it on that
    /// connection wait up to `timeout` too, so keep `timeout` well below the command timeout.
    ///
    /// - Throws: ``RedisError``: as ``send(_:)``, and ``RedisError/Code/notReplicated`` (outcome unknown)
    ///   when `WAIT` counted fewer replicas: the write ran on the primary but a failover now may lose it, so
    ///   retry it with the same idempotency key. An error reply to the write itself is thrown as such.
    /// - Returns: the write's reply. See [WAIT](https://redis.io/docs/latest/commands/wait/).
    public func send(_ command: RedisCommand, acknowledgedBy replicas: Int, within timeout: Duration) async throws(RedisError) -> RedisReply {
        guard replicas > 0 else { return try await send(command) }
        var route: ClusterRoute?
        if case .cluster = backend {
            do {
                route = try ClusterRoute(command: command)
            } catch {
                metrics.recordError(error.code)
                throw error
            }
        }
        return try await sendAcknowledged(command, route: route, replicas: replicas, timeout: timeout)
    }

    /// Runs a Lua script as ``evaluate(_:keys:arguments:)`` followed by `WAIT replicas timeout` on the same
    /// connection, and returns its reply only once at least `replicas` replicas have acknowledged its writes.
    ///
    /// With `replicas` 0 this is exactly ``evaluate(_:keys:arguments:)``. `NOSCRIPT` proves the script did
    /// not run, so the pair is sent once more with `EVAL`.
    ///
    /// - Throws: ``RedisError``: as ``evaluate(_:keys:arguments:)``, and ``RedisError/Code/notReplicated``
    ///   (outcome unknown) when fewer replicas acknowledged within `timeout`.
    /// - Returns: the script's reply.
    public func evaluate(
        _ script: RedisScript, keys: [String], arguments: [any RedisArgument],
        acknowledgedBy replicas: Int, within timeout: Duration
    ) async throws(RedisError) -> RedisReply {
        guard replicas > 0 else { return try await evaluate(script, keys: keys, arguments: arguments) }
        let route = try scriptRoute(keys: keys)
        return try await run(script, keys: keys, arguments: arguments) { command async throws(RedisError) in
            try await sendAcknowledged(command, route: route, replicas: replicas, timeout: timeout)
        }
    }

    /// Sends `command` + `WAIT` as a pair to the right connection and maps the two replies.
    private func sendAcknowledged(_ command: RedisCommand, route: ClusterRoute?, replicas: Int, timeout: Duration) async throws(RedisError) -> RedisReply {
        let wait = RedisCommand("WAIT", replicas, Int(clamping: timeout.wholeMilliseconds))
        let reply: RedisReply
        let waitReply: RedisReply
        switch backend {
        case .cluster(let router):
            guard let route else { throw RedisError(.crossSlot, "no cluster route for the command; not sent") }
            (reply, waitReply) = try await router.send(command, then: wait, route: route, extraTime: timeout)
        case .standalone(let pool):
            (reply, waitReply) = try await sendPair(command, then: wait, pool: pool, extraTime: timeout)
        case .sentinel(let monitor):
            (reply, waitReply) = try await monitor.send(command, then: wait, extraTime: timeout)
        }
        if case .error(let message) = reply {
            let error = RedisError(serverError: message)
            metrics.recordError(.serverError)
            throw error
        }
        guard case .integer(let acknowledged) = waitReply else {
            metrics.recordError(.unexpectedReply)
            throw RedisError(.unexpectedReply, "WAIT answered \(waitReply) instead of a replica count; the write ran, its replication is unknown", outcomeUnknown: true)
        }
        guard acknowledged >= replicas else {
            metrics.recordError(.notReplicated)
            throw RedisError(
                .notReplicated,
                "the write ran on the primary but only \(acknowledged) of \(replicas) replicas acknowledged it within \(timeout); it may be lost in a failover",
                outcomeUnknown: true
            )
        }
        return reply
    }

    /// Sends the pair on one connection of `pool`, within the command timeout plus `extraTime`.
    func sendPair(_ command: RedisCommand, then next: RedisCommand, pool: RedisConnectionPool, extraTime: Duration) async throws(RedisError) -> (RedisReply, RedisReply) {
        let start = monotonicNanoseconds()
        let deadline = start &+ configuration.commandTimeout.nanoseconds &+ extraTime.nanoseconds
        metrics.commands.increment()
        do {
            let (first, second) = try await pool.pick().execute(command, then: next, deadline: deadline)
            metrics.latency.recordNanoseconds(Int64(truncatingIfNeeded: second.completedAt &- start))
            return (first, second.reply)
        } catch {
            metrics.recordError(error.code)
            throw error
        }
    }
}
