internal import CHiredis
import CoreMetrics
import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One hiredis connection owned by one dedicated I/O thread.
///
/// Callers enqueue commands from any task; the I/O thread takes everything queued, appends it to its output
/// buffer (``RedisCommand`` is already RESP-encoded, so this is a copy) and sends it in one non-blocking
/// `send`, then waits in `poll` for replies *or* newly queued commands (a wake-up pipe) — or for the socket
/// to take more bytes when it was full — so new commands are written while earlier replies are still on
/// their way (continuous automatic pipelining). Every complete reply of a read is handed to its caller in
/// one go, in order, with one clock read for the batch. hiredis' reader parses the replies. Socket calls
/// happen only on that thread, never on Swift's cooperative pool.
///
/// While idle the thread also polls the socket, so a connection the server closed (CLIENT KILL, the server's
/// `timeout`, a NAT dropping it) is noticed at once: the thread reconnects immediately, and commands queued
/// meanwhile wait for the new connection instead of being written to the dead one.
///
/// When the connection breaks, commands already written fail with an outcome-unknown error and are never
/// resent; commands not yet written fail with ``RedisError/Code/notConnected``; new commands fail fast
/// until the thread has reconnected (bounded exponential backoff).
final class RedisConnection {
    enum State: Equatable {
        case connecting
        case connected
        /// The server closed the idle connection; a new one is being opened. Commands queue meanwhile.
        case reconnecting
        case disconnected(reason: String)
        case shutdown
    }

    let id: Int
    let configuration: RedisConfiguration
    let logger: Logger
    let metrics: RedisMetrics

    /// Guards every field below it up to the I/O-thread-only section.
    let condition = NSCondition()
    /// Commands the I/O thread has not taken yet.
    var queue: [PendingCommand] = []
    var state: State = .connecting
    /// The I/O thread is (about to be) in `poll`: enqueuers wake it through the pipe.
    var ioPolling = false
    private var nextWaiterID: UInt64 = 0
    var connectWaiters: [UInt64: CheckedContinuation<Void, any Error>] = [:]
    var exitWaiters: [CheckedContinuation<Void, Never>] = []
    var exited = false

    /// Lock-free hint for the pool's connection choice; `state` under the lock is authoritative.
    let isConnected = Atomic<Bool>(false)

    // I/O thread only.
    var context: UnsafeMutablePointer<redisContext>?
    /// Written (or in `output`), not yet answered, oldest first (from `inflightHead`).
    var inflight: [PendingCommand] = []
    var inflightHead = 0
    /// Encoded commands not yet sent; every one of them is already in `inflight`.
    var output: [UInt8] = []
    /// The commands taken from `queue`.
    var batch: [PendingCommand] = []
    /// Scratch arrays of the I/O thread, kept to reuse their storage.
    var replies: [RedisReply] = []
    var expired: [PendingCommand] = []
    /// A non-blocking pipe that wakes the I/O thread from `poll` when commands are queued.
    let wakeRead: Int32
    let wakeWrite: Int32

    init(id: Int, configuration: RedisConfiguration, logger: Logger, metrics: RedisMetrics) {
        self.id = id
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "redis.connection"] = "\(id)"
        logger[metadataKey: "redis.endpoint"] = "\(configuration.endpoint)"
        self.logger = logger
        self.metrics = metrics
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) == 0 {
            for fd in fds {
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            }
        }
        self.wakeRead = fds[0]
        self.wakeWrite = fds[1]
        output.reserveCapacity(16 * 1024)
        batch.reserveCapacity(256)
        inflight.reserveCapacity(256)
        replies.reserveCapacity(256)
    }

    deinit {
        if wakeRead >= 0 { close(wakeRead) }
        if wakeWrite >= 0 { close(wakeWrite) }
    }

    /// Starts the I/O thread; it connects at once.
    func start() {
        let thread = Thread { [self] in self.run() }
        thread.name = "redis-io-\(id)"
        thread.start()
    }

    var inflightCount: Int { inflight.count - inflightHead }

    // MARK: Caller side

    /// Queues a command for the I/O thread, or fails it at once when the connection is not up.
    ///
    /// With `asking`, an `ASKING` (whose reply is dropped) is queued right before the command under the same
    /// lock: the I/O thread writes the queue in order and both share one deadline, so nothing else can be
    /// written between them on this connection (cluster `ASK` redirection).
    ///
    /// With `then`, a second command (`WAIT`) is queued right after the command the same way: the first
    /// reply goes to `then.held`, and `continuation` is resumed with the second one (or with the failure of
    /// the pair: both were written together or neither was).
    func enqueue(
        _ command: RedisCommand, deadline: UInt64, asking: Bool = false,
        then next: (command: RedisCommand, held: HeldReply)? = nil,
        continuation: UnsafeContinuation<CompletedReply, any Error>
    ) {
        condition.lock()
        switch state {
        case .connected, .reconnecting:
            if asking { queue.append(PendingCommand(command: RedisCommand.asking, deadline: deadline, continuation: nil)) }
            if let next {
                queue.append(PendingCommand(command: command, deadline: deadline, continuation: nil, heldReply: next.held))
                queue.append(PendingCommand(command: next.command, deadline: deadline, continuation: continuation))
            } else {
                queue.append(PendingCommand(command: command, deadline: deadline, continuation: continuation))
            }
            wakeIOThreadLocked()
            condition.unlock()
        case .shutdown, .connecting, .disconnected:
            let refusal = refusal(in: state)
            condition.unlock()
            continuation.resume(throwing: refusal)
        }
    }

    /// Why a command is not sent in `state` (shut down, or not connected).
    private func refusal(in state: State) -> RedisError {
        switch state {
        case .shutdown: RedisError(.clientShutdown, "the Redis client was shut down")
        case .connecting: RedisError(.notConnected, "not connected to \(configuration.endpoint) yet (connecting)")
        case .disconnected(let reason): RedisError(.notConnected, "not connected to \(configuration.endpoint): \(reason)")
        case .connected, .reconnecting: RedisError(.notConnected, "not connected to \(configuration.endpoint)")
        }
    }

    /// Queues several commands back to back (nothing else is written between them) with one deadline: every
    /// command but the last stores its reply in its ``HeldReply``; `continuation` is resumed with the last
    /// one's reply, or with the failure of the whole batch (written together, or not at all).
    func enqueue(
        batch commands: [RedisCommand], held: [HeldReply], deadline: UInt64,
        continuation: UnsafeContinuation<CompletedReply, any Error>
    ) {
        condition.lock()
        switch state {
        case .connected, .reconnecting:
            for index in 0..<(commands.count - 1) {
                queue.append(PendingCommand(command: commands[index], deadline: deadline, continuation: nil, heldReply: held[index]))
            }
            queue.append(PendingCommand(command: commands[commands.count - 1], deadline: deadline, continuation: continuation))
            wakeIOThreadLocked()
            condition.unlock()
        case .shutdown, .connecting, .disconnected:
            // Decided under the lock: none of the batch is sent.
            let refusal = refusal(in: state)
            condition.unlock()
            continuation.resume(throwing: refusal)
        }
    }

    /// Wakes the I/O thread from `poll` (once per poll). Call with the lock held.
    func wakeIOThreadLocked() {
        if ioPolling {
            ioPolling = false
            var byte: UInt8 = 1
            _ = write(wakeWrite, &byte, 1)
        }
    }

    /// Returns when the connection is up; throws if the client shuts down or the task is cancelled.
    func waitUntilConnected() async throws {
        let waiterID: UInt64 = condition.withLock {
            nextWaiterID += 1
            return nextWaiterID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                condition.lock()
                switch state {
                case .connected:
                    condition.unlock()
                    continuation.resume()
                case .shutdown:
                    condition.unlock()
                    continuation.resume(throwing: RedisError(.clientShutdown, "the Redis client was shut down"))
                default:
                    if Task.isCancelled {
                        condition.unlock()
                        continuation.resume(throwing: CancellationError())
                    } else {
                        connectWaiters[waiterID] = continuation
                        condition.unlock()
                    }
                }
            }
        } onCancel: {
            let waiter = condition.withLock { connectWaiters.removeValue(forKey: waiterID) }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// Stops the I/O thread: queued commands fail, the socket is closed. Returns when the thread has exited.
    func shutdown() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            condition.lock()
            if exited {
                condition.unlock()
                continuation.resume()
                return
            }
            exitWaiters.append(continuation)
            state = .shutdown
            isConnected.store(false, ordering: .relaxed)
            condition.broadcast()
            var byte: UInt8 = 1
            _ = write(wakeWrite, &byte, 1)
            condition.unlock()
        }
    }
}

// The mutable state is guarded by `condition`, except the I/O-thread-only fields (`context`, `inflight`,
// `output` and the scratch arrays), which only the connection's own I/O thread touches after `start()`.
extension RedisConnection: @unchecked Sendable {}

extension RedisConfiguration.Endpoint {
    var isTCP: Bool {
        if case .tcp = self { return true }
        return false
    }
}
