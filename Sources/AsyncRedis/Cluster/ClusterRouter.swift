import CoreMetrics
import Logging
import Synchronization

/// Routes commands to the primary of their hash slot and follows the cluster's redirections.
///
/// It holds the slot table (16384 entries → primary), one ``RedisConnectionPool`` per primary (created
/// when the node appears in the topology or as a redirection target, closed when it leaves the topology),
/// and refreshes the topology periodically and when a reply or a failure suggests it changed.
///
/// Per command:
/// - `MOVED slot host:port` (the command did not run): the slot is updated, a coalesced refresh is
///   requested, and the command is resent to the named node.
/// - `ASK slot host:port` (did not run): `ASKING` and the command are written back to back on one
///   connection to the named node; the slot table is left as it is.
/// - `TRYAGAIN` (a multi-key command during a migration, did not run): resent after 10, 20, 40 … ms
///   while the command's deadline allows.
/// - `CLUSTERDOWN`: thrown at once (typed, ``RedisError/ServerState/clusterDown``), and a refresh requested.
/// - A command written to a connection that then failed (timeout, lost connection) is never resent:
///   its outcome is unknown. A refresh is requested.
///
/// At most ``RedisConfiguration/clusterMaximumRedirects`` redirections are followed per command.
final class ClusterRouter: Sendable {
    /// The slot-table value of a slot no known primary serves.
    static let unassigned = UInt16.max

    struct State {
        /// Index into `primaries` for each slot.
        var slots = [UInt16](repeating: ClusterRouter.unassigned, count: ClusterHashSlot.count)
        var primaries: [ClusterNodeAddress] = []
        /// The pool of each primary, in the order of `primaries`.
        var primaryPools: [RedisConnectionPool] = []
        /// Every open pool: the primaries' and redirection targets'.
        var pools: [ClusterNodeAddress: RedisConnectionPool] = [:]
        /// The last topology read from the cluster.
        var topology: ClusterTopology?
        /// Pools of nodes that left the topology, closed once their commands had time to finish.
        var retiring: [ObjectIdentifier: RedisConnectionPool] = [:]
        var refresh: Task<Void, Never>?
        /// A refresh was requested while one was in flight: run another one after it.
        var refreshAgain = false
        var lastRefreshStart: UInt64 = 0
        var periodic: Task<Void, Never>?
        var isShutdown = false
        var nextRandom: UInt64 = 0x9E37_79B9_7F4A_7C15
    }

    let configuration: RedisConfiguration
    let seeds: [ClusterNodeAddress]
    let logger: Logger
    let metrics: RedisMetrics
    let clusterMetrics: ClusterMetrics
    let state = Mutex(State())

    init(configuration: RedisConfiguration, seeds: [ClusterNodeAddress], logger: Logger, metrics: RedisMetrics, clusterMetrics: ClusterMetrics) {
        self.configuration = configuration
        self.seeds = seeds
        self.logger = logger
        self.metrics = metrics
        self.clusterMetrics = clusterMetrics
    }

    // MARK: Sending

    /// Sends `command` to the primary of `route`, following redirections; records the client's metrics.
    func send(_ command: RedisCommand, route: ClusterRoute) async throws(RedisError) -> RedisReply {
        let start = monotonicNanoseconds()
        let deadline = start &+ configuration.commandTimeout.nanoseconds
        metrics.commands.increment()
        do {
            let completed = try await deliver(command, route: route, deadline: deadline).completed
            metrics.latency.recordNanoseconds(Int64(truncatingIfNeeded: completed.completedAt &- start))
            return completed.reply
        } catch {
            metrics.recordError(error.code)
            throw error
        }
    }

    /// Sends `command` and then `wait` back to back on one connection to the primary of `route` (following
    /// redirections with the pair), within `extraTime` more than the command timeout; returns both replies.
    /// Records the client's metrics for transport failures (the caller maps the replies).
    func send(_ command: RedisCommand, then wait: RedisCommand, route: ClusterRoute, extraTime: Duration) async throws(RedisError) -> (reply: RedisReply, waitReply: RedisReply) {
        let start = monotonicNanoseconds()
        let deadline = start &+ configuration.commandTimeout.nanoseconds &+ extraTime.nanoseconds
        metrics.commands.increment()
        do {
            let (completed, waitReply) = try await deliver(command, then: wait, route: route, deadline: deadline)
            metrics.latency.recordNanoseconds(Int64(truncatingIfNeeded: completed.completedAt &- start))
            return (completed.reply, waitReply ?? .null)
        } catch {
            metrics.recordError(error.code)
            throw error
        }
    }

    private func deliver(
        _ command: RedisCommand, then wait: RedisCommand? = nil, route: ClusterRoute, deadline: UInt64
    ) async throws(RedisError) -> (completed: CompletedReply, waitReply: RedisReply?) {
        var redirect: ClusterRedirection?
        var redirects = 0
        var tryAgainDelay = Duration.milliseconds(10)
        while true {
            let (pool, address) = try await target(route: route, redirect: redirect, deadline: deadline)
            if !pool.isConnected {
                // A new pool (a node just learned of) gets its first connection attempt; a node whose
                // connections broke fails fast, as a standalone client does, and the topology is read again.
                guard pool.isStarting else {
                    // The node's connections broke (it may be failing over): wait, within the deadline, for a
                    // topology naming another primary. Nothing was sent, so going on is safe.
                    if await awaitTopologyChange(before: deadline) {
                        redirect = nil
                        continue
                    }
                    throw RedisError(.notConnected, "not connected to cluster node \(address); not sent")
                }
                do {
                    try await pool.waitUntilConnected(timeout: remaining(until: deadline, atMost: configuration.connectTimeout))
                } catch {
                    requestRefresh()
                    throw RedisError(.notConnected, "not connected to cluster node \(address); not sent")
                }
            }
            let completed: CompletedReply
            var waitReply: RedisReply?
            do {
                if let wait {
                    let pair = try await pool.pick().execute(command, then: wait, deadline: deadline, asking: redirect?.kind == .ask)
                    completed = CompletedReply(reply: pair.first, completedAt: pair.second.completedAt)
                    waitReply = pair.second.reply
                } else {
                    completed = try await pool.pick().execute(command, deadline: deadline, asking: redirect?.kind == .ask)
                }
            } catch {
                if error.code == .notConnected, await awaitTopologyChange(before: deadline) {
                    redirect = nil
                    continue
                }
                if error.code == .notConnected || error.code == .connectionLost || error.code == .timeout { requestRefresh() }
                throw error
            }
            guard case .error(let message) = completed.reply else { return (completed, waitReply) }

            if let redirection = ClusterRedirection(error: message, replyingHost: address.host) {
                redirects += 1
                guard redirects <= configuration.clusterMaximumRedirects else {
                    throw RedisError(.serverError, "too many cluster redirections (\(redirects - 1)); last: \(message)")
                }
                switch redirection.kind {
                case .moved:
                    clusterMetrics.record(.moved)
                    assign(slot: redirection.slot, to: redirection.address)
                    requestRefresh()
                case .ask:
                    clusterMetrics.record(.ask)
                }
                redirect = redirection
                continue
            }
            let refusal = RedisError(serverError: message)
            if refusal.serverState == .tryAgain {
                let now = monotonicNanoseconds()
                if now &+ tryAgainDelay.nanoseconds < deadline {
                    clusterMetrics.record(.tryAgain)
                    do { try await Task.sleep(for: tryAgainDelay) } catch { throw refusal }
                    tryAgainDelay = min(tryAgainDelay * 2, .milliseconds(160))
                    // Start over: the slot's owner may have changed meanwhile.
                    redirect = nil
                    continue
                }
            } else if refusal.serverState == .clusterDown {
                requestRefresh()
            }
            throw refusal
        }
    }

    /// The pool (and its node) a command goes to: the redirection's node, or the primary of the route's slot.
    private func target(route: ClusterRoute, redirect: ClusterRedirection?, deadline: UInt64) async throws(RedisError) -> (RedisConnectionPool, ClusterNodeAddress) {
        if let redirect {
            let found: RedisConnectionPool? = state.withLock { state in
                state.isShutdown ? nil : self.pool(for: redirect.address, in: &state)
            }
            guard let pool = found else { throw RedisError(.clientShutdown, "the Redis client was shut down") }
            return (pool, redirect.address)
        }
        if let found = lookUp(route) { return found }
        await ensureTopology()
        if let found = lookUp(route) { return found }
        if state.withLock({ $0.isShutdown }) { throw RedisError(.clientShutdown, "the Redis client was shut down") }
        throw RedisError(.notConnected, "no cluster node answered CLUSTER SHARDS/SLOTS (seeds: \(seeds.map(\.description).joined(separator: ", "))); not sent")
    }

    /// The primary of the route's slot (any primary when the slot is unassigned: it answers MOVED or CLUSTERDOWN).
    private func lookUp(_ route: ClusterRoute) -> (RedisConnectionPool, ClusterNodeAddress)? {
        state.withLock { state in
            guard !state.isShutdown, !state.primaryPools.isEmpty else { return nil }
            var index = Int(ClusterRouter.unassigned)
            if case .slot(let slot) = route { index = Int(state.slots[slot]) }
            if index == Int(ClusterRouter.unassigned) {
                state.nextRandom = state.nextRandom &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                index = Int((state.nextRandom >> 33) % UInt64(state.primaryPools.count))
            }
            return (state.primaryPools[index], state.primaries[index])
        }
    }

    /// Records that `slot` is now served by `address` (after `MOVED`).
    private func assign(slot: Int, to address: ClusterNodeAddress) {
        state.withLock { state in
            guard !state.isShutdown else { return }
            let index: Int
            if let known = state.primaries.firstIndex(of: address) {
                index = known
            } else {
                index = state.primaries.count
                state.primaries.append(address)
                state.primaryPools.append(pool(for: address, in: &state))
            }
            state.slots[slot] = UInt16(index)
        }
    }

    /// The primary the slot table names for `slot` right now (nil when unassigned).
    func primary(forSlot slot: Int) -> ClusterNodeAddress? {
        state.withLock { state in
            let index = Int(state.slots[slot])
            return index < state.primaries.count ? state.primaries[index] : nil
        }
    }

    /// The open pool to `address`, created (connecting in the background) when there is none. Call under the lock.
    func pool(for address: ClusterNodeAddress, in state: inout State) -> RedisConnectionPool {
        if let pool = state.pools[address] { return pool }
        var nodeConfiguration = configuration
        nodeConfiguration.endpoint = address.endpoint
        nodeConfiguration.mode = .standalone
        nodeConfiguration.database = 0
        var nodeLogger = logger
        nodeLogger[metadataKey: "redis.cluster.node"] = "\(address)"
        let pool = RedisConnectionPool(configuration: nodeConfiguration, logger: nodeLogger, metrics: metrics)
        state.pools[address] = pool
        return pool
    }

    /// Requests a topology read (coalesced) and pauses 50 ms for it, when more than that is left before
    /// `deadline`; false (after only requesting it) otherwise, or when the client shut down. A caller loops
    /// on this at most once per 50 ms and never past its deadline.
    private func awaitTopologyChange(before deadline: UInt64) async -> Bool {
        requestRefresh()
        let pause = Duration.milliseconds(50)
        guard monotonicNanoseconds() &+ pause.nanoseconds < deadline else { return false }
        do { try await Task.sleep(for: pause) } catch { return false }
        return !state.withLock { $0.isShutdown }
    }

    /// The time left until `deadline`, at most `limit`.
    func remaining(until deadline: UInt64, atMost limit: Duration) -> Duration {
        let now = monotonicNanoseconds()
        guard deadline > now else { return .zero }
        return min(.nanoseconds(Int64(clamping: deadline - now)), limit)
    }
}
