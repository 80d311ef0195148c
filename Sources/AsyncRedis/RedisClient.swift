public import Logging
import CoreMetrics
import Synchronization

/// An async Redis client over hiredis: a pool of pipelined connections, each with its own I/O thread.
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
public final class RedisClient: Sendable {
    /// The configuration the client was created with.
    public let configuration: RedisConfiguration
    private let connections: [RedisConnection]
    private let nextConnection = Atomic<Int>(0)
    private let metrics: RedisMetrics
    private let logger: Logger

    /// Creates a client and starts connecting in the background.
    ///
    /// The first client created in a process sets SIGPIPE to `SIG_IGN` unless the program already handles
    /// or ignores it: hiredis writes without `MSG_NOSIGNAL`, and a write to a connection the server reset
    /// must fail with an error, not end the process.
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
        self.connections = (0..<configuration.poolSize).map {
            RedisConnection(id: $0, configuration: configuration, logger: logger, metrics: metrics)
        }
        for connection in connections { connection.start() }
    }

    /// Parses `url` (see ``RedisConfiguration/init(url:)``) and creates a client.
    public convenience init(url: String, poolSize: Int = 4, logger: Logger) throws(RedisError) {
        var configuration = try RedisConfiguration(url: url)
        configuration.poolSize = max(1, poolSize)
        self.init(configuration: configuration, logger: logger)
    }

    /// Waits until at least one connection is up.
    ///
    /// - Throws: ``RedisError`` with code ``RedisError/Code/connectionFailed`` after `timeout`.
    public func waitUntilConnected(timeout: Duration) async throws {
        if connections.contains(where: { $0.isConnected.load(ordering: .relaxed) }) { return }
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for connection in connections {
                group.addTask {
                    try await connection.waitUntilConnected()
                    return true
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return false
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if result { return }
                throw RedisError(.connectionFailed, "no connection to \(configuration.endpoint) within \(timeout)")
            }
        }
    }

    /// Whether any connection of the pool is up right now.
    public var isConnected: Bool {
        connections.contains { $0.isConnected.load(ordering: .relaxed) }
    }

    /// Sends one command and returns its reply.
    ///
    /// - Throws: ``RedisError``: ``RedisError/Code/serverError`` for an error reply,
    ///   with ``RedisError/serverState`` set when the server refused it in a state such as OOM or BUSY (not run),
    ///   ``RedisError/Code/notConnected`` when no connection is up (not sent),
    ///   ``RedisError/Code/timeout`` or ``RedisError/Code/connectionLost`` (outcome unknown when written).
    public func send(_ command: RedisCommand) async throws(RedisError) -> RedisReply {
        let start = monotonicNanoseconds()
        let deadline = start &+ configuration.commandTimeout.nanoseconds
        let connection = pickConnection()
        metrics.commands.increment()
        let completed: CompletedReply
        do {
            completed = try await withUnsafeThrowingContinuation { continuation in
                connection.enqueue(command, deadline: deadline, continuation: continuation)
            }
        } catch let error as RedisError {
            metrics.recordError(error.code)
            throw error
        } catch {
            metrics.recordError(.protocolError)
            throw RedisError(.protocolError, "unexpected error: \(error)")
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
    /// failure (including an unknown outcome) is thrown as is.
    public func evaluate(_ script: RedisScript, keys: [String], arguments: [any RedisArgument]) async throws(RedisError) -> RedisReply {
        var command = RedisCommand("EVALSHA", script.sha1, keys.count)
        for key in keys { command.append(key) }
        for argument in arguments { argument.append(to: &command) }
        do {
            return try await send(command)
        } catch where error.serverErrorPrefix == "NOSCRIPT" {
            metrics.scriptReloads.increment()
            logger.debug("redis script not cached; sending its source", metadata: ["redis.script": "\(script.sha1)"])
            var eval = RedisCommand("EVAL", script.source, keys.count)
            for key in keys { eval.append(key) }
            for argument in arguments { argument.append(to: &eval) }
            return try await send(eval)
        }
    }

    /// Closes every connection; pending commands fail with ``RedisError/Code/clientShutdown``.
    public func shutdown() async {
        for connection in connections { await connection.shutdown() }
    }

    private func pickConnection() -> RedisConnection {
        let count = connections.count
        let start = nextConnection.wrappingAdd(1, ordering: .relaxed).oldValue
        for offset in 0..<count {
            let connection = connections[(start &+ offset) % count]
            if connection.isConnected.load(ordering: .relaxed) { return connection }
        }
        return connections[start % count]
    }
}
