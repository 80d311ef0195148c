import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The pipelined connections to one server, spread over the event loops of a group.
///
/// A standalone client has one; a cluster client has one per primary. A caller running on one of the
/// group's event loops gets a connection of that loop (its command and reply then never change thread);
/// other callers get the connections round-robin. Connections that are down are skipped.
final class RedisConnectionPool: Sendable {
    let configuration: RedisConfiguration
    let connections: [RedisConnection]
    private let nextConnection = Atomic<Int>(0)

    /// Creates the connections, `configuration.poolSize` of them (at least one per event loop of `group`),
    /// and starts connecting.
    init(
        configuration: RedisConfiguration, logger: Logger, metrics: RedisMetrics,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.configuration = configuration
        let loops = Array(group.makeIterator())
        let count = configuration.poolSize <= 1 ? 1 : max(configuration.poolSize, loops.count)
        self.connections = (0..<count).map {
            RedisConnection(id: $0, configuration: configuration, eventLoop: loops[$0 % loops.count], logger: logger, metrics: metrics)
        }
        for connection in connections { connection.start() }
    }

    /// Whether any connection is up right now.
    var isConnected: Bool {
        connections.contains { $0.isConnected.load(ordering: .relaxed) }
    }

    /// Whether no connection is up yet because they are still making their first attempt (a new pool).
    var isStarting: Bool {
        !isConnected && connections.contains { $0.isMakingFirstAttempt.load(ordering: .relaxed) }
    }

    /// A connection that is up on the caller's event loop, else the next one that is up (round-robin), else
    /// the next one at all.
    @inline(__always)
    func pick() -> RedisConnection {
        let count = connections.count
        let start = nextConnection.wrappingAdd(1, ordering: .relaxed).oldValue
        if count > 1, let current = MultiThreadedEventLoopGroup.currentEventLoop {
            for offset in 0..<count {
                let connection = connections[(start &+ offset) % count]
                if connection.eventLoop === current && connection.isConnected.load(ordering: .relaxed) { return connection }
            }
        }
        for offset in 0..<count {
            let connection = connections[(start &+ offset) % count]
            if connection.isConnected.load(ordering: .relaxed) { return connection }
        }
        return connections[start % count]
    }

    /// Waits until at least one connection is up.
    ///
    /// - Throws: ``RedisError`` with code ``RedisError/Code/connectionFailed`` after `timeout`,
    ///   `CancellationError` when the task is cancelled.
    func waitUntilConnected(timeout: Duration) async throws {
        if isConnected { return }
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
                let cause = connections.lazy.compactMap { $0.lastConnectFailure.withLock { $0 } }.first
                throw RedisError(
                    .connectionFailed, "no connection to \(configuration.endpoint) within \(timeout)" + (cause.map { ": " + $0 } ?? "")
                )
            }
        }
    }

    /// Closes every connection; pending commands fail with ``RedisError/Code/clientShutdown``.
    func shutdown() async {
        for connection in connections { await connection.shutdown() }
    }
}

extension RedisConnection {
    /// Sends one command on this connection and waits for its reply (no metrics, no error-reply mapping).
    @inline(__always)
    func execute(_ command: RedisCommand, deadline: UInt64, asking: Bool = false) async throws(RedisError) -> CompletedReply {
        do {
            return try await withUnsafeThrowingContinuation { continuation in
                enqueue(command, deadline: deadline, asking: asking, continuation: continuation)
            }
        } catch let error as RedisError {
            throw error
        } catch {
            throw RedisError(.protocolError, "unexpected error: \(error)")
        }
    }
}

extension RedisConnection {
    /// Sends `command` and `next` back to back on this connection (nothing else is written between them)
    /// and returns both replies; one deadline covers the pair.
    ///
    /// A failure fails the pair: when the pair was written, the outcome of `command` is unknown.
    func execute(
        _ command: RedisCommand, then next: RedisCommand, deadline: UInt64, asking: Bool = false
    ) async throws(RedisError) -> (first: RedisReply, second: CompletedReply) {
        let held = HeldReply()
        let second: CompletedReply
        do {
            second = try await withUnsafeThrowingContinuation { continuation in
                enqueue(command, deadline: deadline, asking: asking, then: (next, held), continuation: continuation)
            }
        } catch let error as RedisError {
            throw error
        } catch {
            throw RedisError(.protocolError, "unexpected error: \(error)")
        }
        guard let first = held.reply else {
            throw RedisError(.protocolError, "no reply to the first command of a pair", outcomeUnknown: true)
        }
        return (first, second)
    }
}

extension RedisConnection {
    /// Sends `commands` back to back on this connection, in order, with one deadline, and
    /// returns their replies in order (error replies included, as replies).
    ///
    /// A failure fails the batch: when it was written, the outcome of every command is unknown.
    func execute(batch commands: [RedisCommand], deadline: UInt64) async throws(RedisError) -> (replies: [RedisReply], completedAt: UInt64) {
        guard !commands.isEmpty else { return ([], monotonicNanoseconds()) }
        let held = (1..<commands.count).map { _ in HeldReply() }
        let last: CompletedReply
        do {
            last = try await withUnsafeThrowingContinuation { continuation in
                enqueue(batch: commands, held: held, deadline: deadline, continuation: continuation)
            }
        } catch let error as RedisError {
            throw error
        } catch {
            throw RedisError(.protocolError, "unexpected error: \(error)")
        }
        var replies: [RedisReply] = []
        replies.reserveCapacity(commands.count)
        for holder in held {
            guard let reply = holder.reply else {
                throw RedisError(.protocolError, "no reply to a command of a pipelined batch", outcomeUnknown: true)
            }
            replies.append(reply)
        }
        replies.append(last.reply)
        return (replies, last.completedAt)
    }
}

extension RedisCommand {
    /// `ASKING`, sent right before a command redirected by `ASK`.
    static let asking = RedisCommand("ASKING")
}
