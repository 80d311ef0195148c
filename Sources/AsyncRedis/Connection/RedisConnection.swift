import CoreMetrics
import Logging
import NIOCore
import NIOSSL
import Synchronization

/// One pipelined connection, a SwiftNIO channel on one event loop, its replies parsed by hiredis' reader.
///
/// Everything the connection does happens on its event loop: callers that run there (an HTTP request
/// handled on its connection's loop, see the README's "Performance") write their command at once and are
/// resumed by the reply without any thread hand-off; callers elsewhere hand the command to the loop.
/// Commands written during one turn of the loop go out in one `write` (automatic pipelining), and every
/// complete reply of a read is handed to its caller in order, with one clock read for the batch.
///
/// A connection the server closes while nothing is in flight (CLIENT KILL, the server's `timeout`, a NAT
/// dropping it) is noticed at once: it reconnects immediately, and commands queued meanwhile wait for the
/// new connection instead of being written to the dead one.
///
/// When the connection breaks, commands already written fail with an outcome-unknown error and are never
/// resent; commands not yet written fail with ``RedisError/Code/notConnected``; new commands fail fast
/// until it has reconnected (bounded exponential backoff). A command whose deadline passes before its reply
/// arrives fails with an outcome-unknown timeout, and the connection is replaced (later replies on it would
/// be out of step).
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
    /// The loop that owns the channel and every field in the event-loop-only section.
    let eventLoop: any EventLoop

    /// Lock-free hint for the pool's connection choice; `state` on the event loop is authoritative.
    let isConnected = Atomic<Bool>(false)
    /// True until the first connection attempt has ended (for the pool's ``RedisConnectionPool/isStarting``).
    let isMakingFirstAttempt = Atomic<Bool>(true)
    /// Why the last connection attempt failed (read off the event loop by the pool's start-up wait, so that
    /// a wrong password or database index says so instead of only "no connection within …").
    let lastConnectFailure = Mutex<String?>(nil)
    private let waiterIDs = Atomic<UInt64>(0)

    // MARK: Event loop only

    var state: State = .connecting
    /// The open channel (also while its handshake runs), nil while (re)connecting or disconnected.
    var channel: (any Channel)?
    /// Parses the channel's replies; a new one per channel.
    var reader: RESPReader?
    /// Whether the current channel has delivered any byte (a plain connection closed before its first byte
    /// may have reached a TLS port: the message says so).
    var channelAnswered = false
    /// The TLS context of ``RedisConfiguration/tls``, built at the first connect (nil for plain TCP).
    var tlsContext: NIOSSLContext?
    /// AUTH and SELECT of the channel are still unanswered: the connection is not usable yet.
    var handshaking = false
    /// Counts connection attempts, so the completion of a stale one is ignored.
    var attempt: UInt64 = 0
    var everConnected = false
    var reconnectDelay: Duration
    var reconnectTimer: Scheduled<Void>?
    /// Fires at the oldest in-flight command's deadline (nil while none is scheduled).
    var deadlineTimer: Scheduled<Void>?
    /// Commands waiting for the reconnect after an idle close.
    var queue: [PendingCommand] = []
    /// Written (or in `output`), not yet answered, oldest first (from `inflightHead`).
    var inflight: [PendingCommand] = []
    var inflightHead = 0
    /// Encoded commands not yet handed to the channel; every one of them is already in `inflight`.
    var output: ByteBuffer
    var flushScheduled = false
    var connectWaiters: [UInt64: CheckedContinuation<Void, any Error>] = [:]
    /// Waiters whose task was cancelled before their continuation was stored.
    var cancelledWaiters: Set<UInt64> = []
    var exitWaiters: [CheckedContinuation<Void, Never>] = []
    var exited = false

    init(id: Int, configuration: RedisConfiguration, eventLoop: any EventLoop, logger: Logger, metrics: RedisMetrics) {
        self.id = id
        self.configuration = configuration
        self.eventLoop = eventLoop
        var logger = logger
        logger[metadataKey: "redis.connection"] = "\(id)"
        logger[metadataKey: "redis.endpoint"] = "\(configuration.endpoint)"
        self.logger = logger
        self.metrics = metrics
        self.reconnectDelay = configuration.initialReconnectDelay
        self.output = ByteBufferAllocator().buffer(capacity: 16 * 1024)
        inflight.reserveCapacity(256)
    }

    /// Starts connecting on the event loop.
    func start() {
        eventLoop.execute { self.connect() }
    }

    var inflightCount: Int { inflight.count - inflightHead }

    // MARK: Caller side

    /// Queues a command, or fails it at once when the connection is not up.
    ///
    /// With `asking`, an `ASKING` (whose reply is dropped) is written right before the command: both are
    /// written in the same turn of the event loop with one deadline, so nothing else can be written between
    /// them on this connection (cluster `ASK` redirection).
    ///
    /// With `then`, a second command (`WAIT`) is written right after the command the same way: the first
    /// reply goes to `then.held`, and `continuation` is resumed with the second one (or with the failure of
    /// the pair: both were written together or neither was).
    func enqueue(
        _ command: RedisCommand, deadline: UInt64, asking: Bool = false,
        then next: (command: RedisCommand, held: HeldReply)? = nil,
        continuation: UnsafeContinuation<CompletedReply, any Error>
    ) {
        if eventLoop.inEventLoop {
            submit(command, deadline: deadline, asking: asking, then: next, continuation: continuation)
        } else {
            eventLoop.execute {
                self.submit(command, deadline: deadline, asking: asking, then: next, continuation: continuation)
            }
        }
    }

    /// Queues several commands back to back (nothing else is written between them) with one deadline: every
    /// command but the last stores its reply in its ``HeldReply``; `continuation` is resumed with the last
    /// one's reply, or with the failure of the whole batch (written together, or not at all).
    func enqueue(
        batch commands: [RedisCommand], held: [HeldReply], deadline: UInt64,
        continuation: UnsafeContinuation<CompletedReply, any Error>
    ) {
        if eventLoop.inEventLoop {
            submit(batch: commands, held: held, deadline: deadline, continuation: continuation)
        } else {
            eventLoop.execute {
                self.submit(batch: commands, held: held, deadline: deadline, continuation: continuation)
            }
        }
    }

    /// Returns when the connection is up; throws if the client shuts down or the task is cancelled.
    func waitUntilConnected() async throws {
        let waiterID = waiterIDs.wrappingAdd(1, ordering: .relaxed).newValue
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                eventLoop.execute {
                    switch self.state {
                    case .connected:
                        continuation.resume()
                    case .shutdown:
                        continuation.resume(throwing: RedisError(.clientShutdown, "the Redis client was shut down"))
                    default:
                        if self.cancelledWaiters.remove(waiterID) != nil {
                            continuation.resume(throwing: CancellationError())
                        } else {
                            self.connectWaiters[waiterID] = continuation
                        }
                    }
                }
            }
        } onCancel: {
            eventLoop.execute {
                if let waiter = self.connectWaiters.removeValue(forKey: waiterID) {
                    waiter.resume(throwing: CancellationError())
                } else {
                    self.cancelledWaiters.insert(waiterID)
                }
            }
        }
    }

    /// Stops the connection: queued and in-flight commands fail, the socket is closed. Returns when it is.
    func shutdown() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            eventLoop.execute { self.beginShutdown(continuation) }
        }
    }
}

// The mutable state is confined to `eventLoop` (every access happens there; callers hand their work to it),
// except the atomics, which any thread may read.
extension RedisConnection: @unchecked Sendable {}

extension RedisConfiguration.Endpoint {
    var isTCP: Bool {
        if case .tcp = self { return true }
        return false
    }
}
