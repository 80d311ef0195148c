public import Logging
import CoreMetrics
import Synchronization

/// An async Redis client: a pool of pipelined SwiftNIO connections whose replies hiredis' reader parses.
///
/// ```swift
/// let client = try RedisClient(url: "redis://127.0.0.1:6379/0", logger: logger)
/// try await client.waitUntilConnected(timeout: .seconds(5))
/// let count = try await client.send("INCR", "visits").int
/// await client.shutdown()
/// ```
///
/// Every call returns within the configured command timeout. A command whose reply never arrived fails
/// with an error whose ``RedisError/isOutcomeUnknown`` is true; the client never retries it.
///
/// With ``RedisConfiguration/Mode/cluster(seeds:)`` the same API talks to a Redis Cluster: each command goes
/// to the primary of its keys' hash slot and the cluster's redirections are followed (see the README,
/// "Cluster mode"). With ``RedisConfiguration/Mode/sentinel(sentinels:masterName:)`` it talks to the primary
/// the sentinels name and follows its failovers (README, "Sentinel mode").
public final class RedisClient: Sendable {
    /// The configuration the client was created with.
    public let configuration: RedisConfiguration
    let backend: Backend
    let metrics: RedisMetrics
    let logger: Logger

    /// One server through one pool, a cluster through its router, or the sentinels' primary through the monitor.
    enum Backend: Sendable {
        case standalone(RedisConnectionPool)
        case cluster(ClusterRouter)
        case sentinel(SentinelMonitor)
    }

    /// Creates a client and starts connecting in the background.
    ///
    /// The first client created in a process sets SIGPIPE to `SIG_IGN` unless the program already handles
    /// or ignores it: a write to a connection the server reset must fail with an error, not end the process.
    ///
    /// - Parameters:
    ///   - configuration: endpoint, credentials, pool size and timeouts.
    ///   - logger: where connection events are logged (at debug, warning on lost connections).
    ///   - metricsDimensions: extra dimensions for this client's metrics.
    public init(configuration: RedisConfiguration, logger: Logger, metricsDimensions: [(String, String)] = []) {
        _ = BrokenPipeSignal.ignoredUnlessHandled
        self.configuration = configuration
        self.logger = logger
        let metrics = RedisMetrics(dimensions: metricsDimensions)
        self.metrics = metrics
        switch configuration.mode {
        case .standalone:
            backend = .standalone(RedisConnectionPool(configuration: configuration, logger: logger, metrics: metrics))
        case .cluster(let seeds):
            let router = ClusterRouter(
                configuration: configuration, seeds: seeds, logger: logger, metrics: metrics,
                clusterMetrics: ClusterMetrics(dimensions: metricsDimensions)
            )
            backend = .cluster(router)
            router.start()
        case .sentinel(let sentinels, let masterName):
            let monitor = SentinelMonitor(
                configuration: configuration, sentinels: sentinels.compactMap { ClusterNodeAddress($0) },
                masterName: masterName, logger: logger, metrics: metrics,
                sentinelMetrics: SentinelMetrics(dimensions: metricsDimensions)
            )
            backend = .sentinel(monitor)
            monitor.start()
        }
    }

    /// Parses `url` (see ``RedisConfiguration/init(url:)``) and creates a client.
    public convenience init(url: String, poolSize: Int = 4, logger: Logger) throws(RedisError) {
        var configuration = try RedisConfiguration(url: url)
        configuration.poolSize = max(1, poolSize)
        self.init(configuration: configuration, logger: logger)
    }

    /// Waits until at least one connection is up (cluster mode: until the topology is known and every
    /// primary has a connection up).
    ///
    /// - Throws: ``RedisError`` with code ``RedisError/Code/connectionFailed`` after `timeout`.
    public func waitUntilConnected(timeout: Duration) async throws {
        switch backend {
        case .standalone(let pool):
            try await pool.waitUntilConnected(timeout: timeout)
        case .sentinel(let monitor):
            try await monitor.waitUntilConnected(timeout: timeout)
        case .cluster(let router):
            if router.isConnected { return }
            try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    try await router.waitUntilReady()
                    return true
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return false
                }
                defer { group.cancelAll() }
                while let result = try await group.next() {
                    if result { return }
                    throw RedisError(.connectionFailed, "no cluster topology or no connection to every primary within \(timeout)")
                }
            }
        }
    }

    /// Whether any connection of the pool is up right now (cluster mode: whether the topology is known and
    /// every primary has a connection up).
    public var isConnected: Bool {
        switch backend {
        case .standalone(let pool): pool.isConnected
        case .cluster(let router): router.isConnected
        case .sentinel(let monitor): monitor.isConnected
        }
    }

    /// Sends one command and returns its reply.
    ///
    /// - Throws: ``RedisError``: ``RedisError/Code/serverError`` for an error reply,
    ///   with ``RedisError/serverState`` set when the server refused it in a state such as OOM or BUSY (not run),
    ///   ``RedisError/Code/notConnected`` when no connection is up (not sent),
    ///   ``RedisError/Code/timeout`` or ``RedisError/Code/connectionLost`` (outcome unknown when written);
    ///   in cluster mode also ``RedisError/Code/crossSlot`` (keys in different slots, not sent) and the
    ///   ``RedisError/ServerState/clusterDown`` state.
    public func send(_ command: RedisCommand) async throws(RedisError) -> RedisReply {
        let pool: RedisConnectionPool
        switch backend {
        case .standalone(let standalone):
            pool = standalone
        case .cluster(let router):
            let route: ClusterRoute
            do {
                route = try ClusterRoute(command: command)
            } catch {
                metrics.recordError(error.code)
                throw error
            }
            return try await router.send(command, route: route)
        case .sentinel(let monitor):
            let reply = try await monitor.send(command)
            if case .error(let message) = reply {
                metrics.recordError(.serverError)
                throw RedisError(serverError: message)
            }
            return reply
        }
        let start = monotonicNanoseconds()
        let deadline = start &+ configuration.commandTimeout.nanoseconds
        let connection = pool.pick()
        metrics.commands.increment()
        let completed: CompletedReply
        do {
            completed = try await connection.execute(command, deadline: deadline)
        } catch {
            metrics.recordError(error.code)
            throw error
        }
        metrics.latency.recordNanoseconds(Int64(truncatingIfNeeded: completed.completedAt &- start))
        let reply = completed.reply
        if case .error(let message) = reply {
            metrics.recordError(.serverError)
            throw RedisError(serverError: message)
        }
        return reply
    }

    /// Sends a command given as its name and arguments.
    @discardableResult
    public func send(_ name: String, _ arguments: any RedisArgument...) async throws(RedisError) -> RedisReply {
        try await send(RedisCommand(name, arguments))
    }

    /// Runs a Lua script with `EVALSHA`, loading it once with `EVAL` if the server answers `NOSCRIPT`.
    ///
    /// `NOSCRIPT` proves the script did not run, so the single retry cannot apply it twice. Any other
    /// failure (including an unknown outcome) is thrown as is. In cluster mode the script goes to the
    /// primary of its keys' slot (scripts are cached per node, so each node loads it on its first
    /// `NOSCRIPT`); keys in different slots are refused with ``RedisError/Code/crossSlot`` before anything is sent.
    public func evaluate(_ script: RedisScript, keys: [String], arguments: [any RedisArgument]) async throws(RedisError) -> RedisReply {
        let route = try scriptRoute(keys: keys)
        return try await run(script, keys: keys, arguments: arguments) { command async throws(RedisError) in
            try await send(command, route: route)
        }
    }

    /// Cluster mode: the route of a script's keys (``RedisError/Code/crossSlot`` when they span slots, not
    /// sent); nil in the other modes.
    func scriptRoute(keys: [String]) throws(RedisError) -> ClusterRoute? {
        guard case .cluster = backend else { return nil }
        do {
            return try ClusterRoute(keys: keys)
        } catch {
            metrics.recordError(error.code)
            throw error
        }
    }

    /// Sends the script's `EVALSHA` through `deliver`, and on `NOSCRIPT` (proof that it did not run) its
    /// source once with `EVAL`.
    func run(
        _ script: RedisScript, keys: [String], arguments: [any RedisArgument],
        through deliver: (RedisCommand) async throws(RedisError) -> RedisReply
    ) async throws(RedisError) -> RedisReply {
        do {
            return try await deliver(Self.scriptCommand("EVALSHA", script.sha1, keys: keys, arguments: arguments))
        } catch where error.serverErrorPrefix == "NOSCRIPT" {
            metrics.scriptReloads.increment()
            logger.debug("redis script not cached; sending its source", metadata: ["redis.script": "\(script.sha1)"])
            return try await deliver(Self.scriptCommand("EVAL", script.source, keys: keys, arguments: arguments))
        }
    }

    private static func scriptCommand(_ name: String, _ script: String, keys: [String], arguments: [any RedisArgument]) -> RedisCommand {
        var command = RedisCommand(name, script, keys.count)
        for key in keys { command.append(key) }
        for argument in arguments { argument.append(to: &command) }
        return command
    }

    /// Closes every connection; pending commands fail with ``RedisError/Code/clientShutdown``.
    public func shutdown() async {
        switch backend {
        case .standalone(let pool): await pool.shutdown()
        case .cluster(let router): await router.shutdown()
        case .sentinel(let monitor): await monitor.shutdown()
        }
    }

    /// Sends to the route's node in cluster mode when the route is known (scripts), else as ``send(_:)``.
    private func send(_ command: RedisCommand, route: ClusterRoute?) async throws(RedisError) -> RedisReply {
        if let route, case .cluster(let router) = backend {
            return try await router.send(command, route: route)
        }
        return try await send(command)
    }

    /// Cluster mode: the topology last read from the cluster (primaries, replicas, slot ranges); nil for a
    /// standalone client or before the first read succeeded.
    public var clusterTopology: ClusterTopology? {
        clusterRouter?.state.withLock { $0.topology }
    }

    /// Sentinel mode: the monitor (tests read its counts); nil in the other modes.
    var sentinelMonitor: SentinelMonitor? {
        if case .sentinel(let monitor) = backend { return monitor }
        return nil
    }

    /// Cluster mode: the router (tests read its counts and slot table); nil for a standalone client.
    var clusterRouter: ClusterRouter? {
        if case .cluster(let router) = backend { return router }
        return nil
    }
}
