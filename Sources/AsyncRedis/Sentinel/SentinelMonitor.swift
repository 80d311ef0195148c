import CoreMetrics
import Logging
import Synchronization

/// Finds the primary of a Sentinel-managed deployment, sends commands to it, and follows its failovers.
///
/// The primary's address comes from `SENTINEL get-master-addr-by-name` (the sentinels are asked in order,
/// the first answer wins); a pool is connected to it and used only once `ROLE` said `master`, so nothing is
/// ever written to a replica. The address is looked up again every ``RedisConfiguration/sentinelRefreshInterval``,
/// every 500 ms while the primary is unreachable, and at once (coalesced) when a command's connection fails or
/// the server answers `READONLY`. When the address changed, the new pool replaces the old one, which is closed
/// after the command timeout (commands in flight on it finish or fail with an outcome-unknown error; they are
/// never resent).
///
/// A command that finds no connected primary waits for one within its command timeout (it has not been
/// sent, so this is safe); so does a command refused with `READONLY` (proves it did not run).
final class SentinelMonitor: Sendable {
    struct State {
        /// The verified primary's pool; nil before the first discovery or after a `READONLY` reply from it.
        var pool: RedisConnectionPool?
        /// The last verified primary's address (kept when `pool` is dropped, to count failovers).
        var address: ClusterNodeAddress?
        var discovery: Task<Void, Never>?
        var discoverAgain = false
        var lastDiscoveryStart: UInt64 = 0
        var periodic: Task<Void, Never>?
        /// Replaced pools, closed after the command timeout (or at shutdown).
        var retiring: [ObjectIdentifier: RedisConnectionPool] = [:]
        var isShutdown = false
    }

    let configuration: RedisConfiguration
    let sentinels: [ClusterNodeAddress]
    let masterName: String
    let logger: Logger
    let metrics: RedisMetrics
    let sentinelMetrics: SentinelMetrics
    /// One single-connection pool per sentinel, in the configured order.
    let sentinelPools: [RedisConnectionPool]
    let state = Mutex(State())

    init(
        configuration: RedisConfiguration, sentinels: [ClusterNodeAddress], masterName: String,
        logger: Logger, metrics: RedisMetrics, sentinelMetrics: SentinelMetrics
    ) {
        self.configuration = configuration
        self.sentinels = sentinels
        self.masterName = masterName
        var logger = logger
        logger[metadataKey: "redis.sentinel.master"] = "\(masterName)"
        self.logger = logger
        self.metrics = metrics
        self.sentinelMetrics = sentinelMetrics
        self.sentinelPools = sentinels.map { sentinel in
            var sentinelConfiguration = configuration
            sentinelConfiguration.mode = .standalone
            sentinelConfiguration.endpoint = sentinel.endpoint
            sentinelConfiguration.username = configuration.sentinelUsername
            sentinelConfiguration.password = configuration.sentinelPassword
            sentinelConfiguration.database = 0
            sentinelConfiguration.poolSize = 1
            var sentinelLogger = logger
            sentinelLogger[metadataKey: "redis.sentinel"] = "\(sentinel)"
            return RedisConnectionPool(configuration: sentinelConfiguration, logger: sentinelLogger, metrics: metrics)
        }
    }

    /// Whether a verified primary has a connection up right now.
    var isConnected: Bool {
        state.withLock { $0.pool }?.isConnected ?? false
    }

    // MARK: Sending

    /// Sends `command` to the primary; records the client's metrics. An error reply is returned as a reply.
    func send(_ command: RedisCommand) async throws(RedisError) -> RedisReply {
        let start = monotonicNanoseconds()
        metrics.commands.increment()
        do {
            let completed = try await deliver(command, then: nil, deadline: start &+ configuration.commandTimeout.nanoseconds).completed
            metrics.latency.recordNanoseconds(Int64(truncatingIfNeeded: completed.completedAt &- start))
            return completed.reply
        } catch {
            metrics.recordError(error.code)
            throw error
        }
    }

    /// Sends `command` and `wait` back to back on one connection to the primary, within the command timeout
    /// plus `extraTime`; returns both replies.
    func send(_ command: RedisCommand, then wait: RedisCommand, extraTime: Duration) async throws(RedisError) -> (RedisReply, RedisReply) {
        let start = monotonicNanoseconds()
        let deadline = start &+ configuration.commandTimeout.nanoseconds &+ extraTime.nanoseconds
        metrics.commands.increment()
        do {
            let (completed, waitReply) = try await deliver(command, then: wait, deadline: deadline)
            metrics.latency.recordNanoseconds(Int64(truncatingIfNeeded: completed.completedAt &- start))
            return (completed.reply, waitReply ?? .null)
        } catch {
            metrics.recordError(error.code)
            throw error
        }
    }

    private func deliver(_ command: RedisCommand, then wait: RedisCommand?, deadline: UInt64) async throws(RedisError) -> (completed: CompletedReply, waitReply: RedisReply?) {
        while true {
            let pool = try await primaryPool(until: deadline)
            let completed: CompletedReply
            var waitReply: RedisReply?
            do {
                if let wait {
                    let pair = try await pool.pick().execute(command, then: wait, deadline: deadline)
                    completed = CompletedReply(reply: pair.first, completedAt: pair.second.completedAt)
                    waitReply = pair.second.reply
                } else {
                    completed = try await pool.pick().execute(command, deadline: deadline)
                }
            } catch {
                if error.code == .notConnected && monotonicNanoseconds() &+ Duration.milliseconds(10).nanoseconds < deadline {
                    // Not sent: wait for a (new) primary within the deadline.
                    requestDiscovery()
                    do { try await Task.sleep(for: .milliseconds(10)) } catch { throw RedisError(.notConnected, "cancelled; not sent") }
                    continue
                }
                if error.code == .notConnected || error.code == .connectionLost || error.code == .timeout { requestDiscovery() }
                throw error
            }
            if case .error(let message) = completed.reply, RedisError(serverError: message).serverState == .readOnly {
                // The server became a replica (a failover we have not seen yet): the command did not run.
                invalidate(pool)
                if monotonicNanoseconds() < deadline { continue }
            }
            return (completed, waitReply)
        }
    }

    /// The verified primary's pool once it has a connection up, waiting (bounded by `deadline`) while a
    /// discovery finds one.
    ///
    /// - Throws: ``RedisError/Code/notConnected`` (not sent) when none is up by `deadline`.
    func primaryPool(until deadline: UInt64) async throws(RedisError) -> RedisConnectionPool {
        while true {
            let (pool, isShutdown) = state.withLock { ($0.pool, $0.isShutdown) }
            if isShutdown { throw RedisError(.clientShutdown, "the Redis client was shut down") }
            if let pool, pool.isConnected { return pool }
            requestDiscovery()
            let now = monotonicNanoseconds()
            guard now < deadline else {
                throw RedisError(.notConnected, "no reachable primary for '\(masterName)' from the sentinels; not sent")
            }
            let pause = min(Duration.nanoseconds(Int64(clamping: deadline - now)), .milliseconds(20))
            do {
                try await Task.sleep(for: pause)
            } catch {
                throw RedisError(.notConnected, "cancelled while waiting for the primary of '\(masterName)'; not sent")
            }
        }
    }

    /// Drops `pool` as the primary (it answered `READONLY`) and looks the primary up again.
    func invalidate(_ pool: RedisConnectionPool) {
        let dropped = state.withLock { state -> Bool in
            guard let current = state.pool, current === pool else { return false }
            state.pool = nil
            retire(pool, in: &state)
            return true
        }
        if dropped { logger.info("redis primary answered READONLY; looking it up again") }
        requestDiscovery()
    }

    /// Closes `pool` after the command timeout. Call under the lock.
    func retire(_ pool: RedisConnectionPool, in state: inout State) {
        let key = ObjectIdentifier(pool)
        state.retiring[key] = pool
        let delay = configuration.commandTimeout
        Task { [self] in
            try? await Task.sleep(for: delay)
            let retired = self.state.withLock { $0.retiring.removeValue(forKey: key) }
            await retired?.shutdown()
        }
    }
}
