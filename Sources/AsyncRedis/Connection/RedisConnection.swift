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
/// Callers enqueue commands from any task; the I/O thread takes everything queued, appends it to the
/// output buffer with the Argv API and writes it in one go, then waits in `poll` for replies *or* newly
/// queued commands (a wake-up pipe), so new commands are written while earlier replies are still on
/// their way (continuous automatic pipelining). Replies are matched to callers in order. Blocking socket
/// calls happen only on that thread, never on Swift's cooperative pool.
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
    private let configuration: RedisConfiguration
    private let logger: Logger
    private let metrics: RedisMetrics

    /// Guards every field below it up to the I/O-thread-only section.
    private let condition = NSCondition()
    private var queue: [PendingCommand] = []
    private var state: State = .connecting
    /// The I/O thread is (about to be) in `poll`: enqueuers wake it through the pipe.
    private var ioPolling = false
    private var nextWaiterID: UInt64 = 0
    private var connectWaiters: [UInt64: CheckedContinuation<Void, any Error>] = [:]
    private var exitWaiters: [CheckedContinuation<Void, Never>] = []
    private var exited = false

    /// Lock-free hint for the pool's connection choice; `state` under the lock is authoritative.
    let isConnected = Atomic<Bool>(false)

    // I/O thread only.
    private var context: UnsafeMutablePointer<redisContext>?
    private var argv: UnsafeMutablePointer<UnsafePointer<CChar>?>
    private var argvLengths: UnsafeMutablePointer<Int>
    private var argvCapacity: Int
    /// Written, not yet answered, oldest first (from `inflightHead`).
    private var inflight: [PendingCommand] = []
    private var inflightHead = 0
    /// A non-blocking pipe that wakes the I/O thread from `poll` when commands are queued.
    private let wakeRead: Int32
    private let wakeWrite: Int32

    init(id: Int, configuration: RedisConfiguration, logger: Logger, metrics: RedisMetrics) {
        self.id = id
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "redis.connection"] = "\(id)"
        logger[metadataKey: "redis.endpoint"] = "\(configuration.endpoint)"
        self.logger = logger
        self.metrics = metrics
        self.argvCapacity = 16
        self.argv = .allocate(capacity: 16)
        self.argvLengths = .allocate(capacity: 16)
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) == 0 {
            for fd in fds {
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            }
        }
        self.wakeRead = fds[0]
        self.wakeWrite = fds[1]
    }

    deinit {
        argv.deallocate()
        argvLengths.deallocate()
        if wakeRead >= 0 { close(wakeRead) }
        if wakeWrite >= 0 { close(wakeWrite) }
    }

    /// Starts the I/O thread; it connects at once.
    func start() {
        let thread = Thread { [self] in self.run() }
        thread.name = "redis-io-\(id)"
        thread.start()
    }

    // MARK: Caller side

    /// Queues a command for the I/O thread, or fails it at once when the connection is not up.
    func enqueue(_ command: RedisCommand, deadline: UInt64, continuation: UnsafeContinuation<RedisReply, any Error>) {
        condition.lock()
        switch state {
        case .connected, .reconnecting:
            queue.append(PendingCommand(command: command, deadline: deadline, continuation: continuation))
            if ioPolling {
                ioPolling = false
                var byte: UInt8 = 1
                _ = write(wakeWrite, &byte, 1)
            }
            condition.unlock()
        case .shutdown:
            condition.unlock()
            continuation.resume(throwing: RedisError(.clientShutdown, "the Redis client was shut down"))
        case .connecting:
            condition.unlock()
            continuation.resume(throwing: RedisError(.notConnected, "not connected to \(configuration.endpoint) yet (connecting)"))
        case .disconnected(let reason):
            condition.unlock()
            continuation.resume(throwing: RedisError(.notConnected, "not connected to \(configuration.endpoint): \(reason)"))
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
            _ = Glibc.write(wakeWrite, &byte, 1)
            condition.unlock()
        }
    }

    // MARK: I/O thread

    private func run() {
        var delay = configuration.initialReconnectDelay
        var batch: [PendingCommand] = []
        batch.reserveCapacity(256)
        var everConnected = false
        while true {
            if context == nil {
                if isShutdown() { break }
                do {
                    context = try connect()
                    delay = configuration.initialReconnectDelay
                    if everConnected { metrics.reconnects.increment() }
                    everConnected = true
                    logger.debug("redis connection up")
                    markConnected()
                } catch {
                    logger.debug("redis connect failed", metadata: ["redis.error": "\(error.message)"])
                    metrics.connectFailures.increment()
                    markDisconnected(reason: error.message)
                    if !sleep(for: delay) { break }
                    delay = min(delay * 2, configuration.maximumReconnectDelay)
                    continue
                }
            }

            condition.lock()
            if state == .shutdown {
                condition.unlock()
                break
            }
            if queue.isEmpty && inflightCount == 0 {
                ioPolling = true
                condition.unlock()
                if let closed = watchIdle() {
                    // Nothing was in flight: no caller sees this; queued commands wait for the new connection.
                    metrics.connectionLosses.increment()
                    logger.info("redis connection closed while idle; reconnecting", metadata: ["redis.error": "\(closed.message)"])
                    redisFree(context)
                    context = nil
                    markReconnecting()
                }
                continue
            }
            swap(&batch, &queue)
            ioPolling = true
            condition.unlock()

            var failure = writeBatch(&batch)
            if failure == nil && inflightCount > 0 { failure = awaitReplies() }
            batch.removeAll(keepingCapacity: true)
            if let failure {
                metrics.connectionLosses.increment()
                logger.warning("redis connection lost", metadata: ["redis.error": "\(failure.message)"])
                failAll(failure)
                redisFree(context)
                context = nil
                markDisconnected(reason: failure.message)
            }
        }
        failAll(RedisError(.clientShutdown, "the Redis client was shut down while the command was in flight", outcomeUnknown: true))
        finish()
    }

    private var inflightCount: Int { inflight.count - inflightHead }

    /// Appends a batch to the output buffer and writes everything out. Returns a failure when the
    /// connection must be dropped (every in-flight command then fails as outcome unknown).
    private func writeBatch(_ batch: inout [PendingCommand]) -> RedisError? {
        guard let context else { return RedisError(.connectionLost, "no connection", outcomeUnknown: true) }
        if batch.isEmpty { return nil }
        let now = monotonicNanoseconds()
        for pending in batch {
            if pending.deadline <= now {
                // Never written: the command certainly did not run.
                metrics.timeouts.increment()
                pending.continuation.resume(throwing: RedisError(.timeout, "timed out before the command was sent", outcomeUnknown: false))
            } else if append(pending.command, to: context) != REDIS_OK {
                pending.continuation.resume(throwing: RedisError(.protocolError, "hiredis could not buffer the command"))
            } else {
                inflight.append(pending)
            }
        }
        var done: Int32 = 0
        repeat {
            if redisBufferWrite(context, &done) != REDIS_OK { return contextError(context) }
        } while done == 0
        return nil
    }

    /// Waits (in `poll`) until replies arrive, new commands are queued, or the oldest command's deadline
    /// passes; hands every complete reply to its caller.
    private func awaitReplies() -> RedisError? {
        guard let context else { return RedisError(.connectionLost, "no connection", outcomeUnknown: true) }
        if let failure = deliverBufferedReplies(context) { return failure }
        if inflightCount == 0 { return nil }
        let now = monotonicNanoseconds()
        let deadline = inflight[inflightHead].deadline
        guard deadline > now else { return timeoutError() }
        let timeoutMs = Int32(clamping: (deadline - now + 999_999) / 1_000_000)
        var fds = [
            pollfd(fd: chiredis_context_fd(context), events: Int16(POLLIN), revents: 0),
            pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
        ]
        let ready = poll(&fds, 2, timeoutMs)
        if ready < 0 {
            return errno == EINTR ? nil : RedisError(.connectionLost, "poll failed: errno \(errno)", outcomeUnknown: true)
        }
        if ready == 0 { return monotonicNanoseconds() >= deadline ? timeoutError() : nil }
        if fds[1].revents != 0 {
            var sink = [UInt8](repeating: 0, count: 64)
            while read(wakeRead, &sink, sink.count) > 0 {}
        }
        if fds[0].revents != 0 {
            if redisBufferRead(context) != REDIS_OK { return contextError(context) }
            return deliverBufferedReplies(context)
        }
        return nil
    }

    /// Waits (in `poll`) while nothing is queued or in flight, watching the socket as well as the wake-up
    /// pipe: returns an error when the server closed or reset the connection (or sent unsolicited data), so
    /// the caller reconnects before anything is written to it. The socket is checked first, so a close that
    /// arrived together with new commands is noticed before they are written.
    private func watchIdle() -> RedisError? {
        guard let context else { return nil }
        var fds = [
            pollfd(fd: chiredis_context_fd(context), events: Int16(POLLIN), revents: 0),
            pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
        ]
        let ready = poll(&fds, 2, -1)
        if ready < 0 {
            return errno == EINTR ? nil : RedisError(.connectionLost, "poll failed: errno \(errno)")
        }
        if fds[0].revents != 0 {
            // POLLIN with EOF, POLLHUP or POLLERR: the read reports the close or reset.
            if redisBufferRead(context) != REDIS_OK { return contextError(context) }
            return RedisError(.protocolError, "the server sent data while no command was waiting for a reply")
        }
        if fds[1].revents != 0 {
            var sink = [UInt8](repeating: 0, count: 64)
            while read(wakeRead, &sink, sink.count) > 0 {}
        }
        return nil
    }

    /// Resumes callers for every complete reply already read into hiredis' buffer.
    private func deliverBufferedReplies(_ context: UnsafeMutablePointer<redisContext>) -> RedisError? {
        while inflightCount > 0 {
            var raw: UnsafeMutableRawPointer? = nil
            if redisGetReplyFromReader(context, &raw) != REDIS_OK { return contextError(context) }
            guard let raw else { break }
            let reply = RedisReply(copying: raw.assumingMemoryBound(to: redisReply.self))
            freeReplyObject(raw)
            let pending = inflight[inflightHead]
            inflightHead += 1
            pending.continuation.resume(returning: reply)
        }
        if inflightHead == inflight.count {
            inflight.removeAll(keepingCapacity: true)
            inflightHead = 0
        } else if inflightHead > 1024 {
            inflight.removeFirst(inflightHead)
            inflightHead = 0
        }
        return nil
    }

    private func timeoutError() -> RedisError {
        RedisError(.timeout, "no reply within the command timeout (\(configuration.commandTimeout))", outcomeUnknown: true)
    }

    /// Fails every in-flight command (written, so its outcome is unknown).
    private func failAll(_ failure: RedisError) {
        let pending = inflight[inflightHead...]
        for item in pending { item.continuation.resume(throwing: failure) }
        if failure.code == .timeout { metrics.timeouts.increment(by: pending.count) }
        inflight.removeAll(keepingCapacity: true)
        inflightHead = 0
    }

    /// The context's error as an outcome-unknown ``RedisError`` (the command was written).
    private func contextError(_ context: UnsafeMutablePointer<redisContext>) -> RedisError {
        let savedErrno = errno
        let text = String(cString: chiredis_context_errstr(context))
        let code = chiredis_context_err(context)
        if code == REDIS_ERR_IO && (savedErrno == EAGAIN || savedErrno == EWOULDBLOCK) {
            return RedisError(.timeout, "no reply within the command timeout (\(configuration.commandTimeout))", outcomeUnknown: true)
        }
        if code == REDIS_ERR_PROTOCOL {
            return RedisError(.protocolError, "protocol error: \(text)", outcomeUnknown: true)
        }
        return RedisError(.connectionLost, "connection lost: \(text.isEmpty ? "unknown error" : text)", outcomeUnknown: true)
    }

    private func append(_ command: RedisCommand, to context: UnsafeMutablePointer<redisContext>) -> Int32 {
        let count = command.lengths.count
        if count > argvCapacity {
            argv.deallocate()
            argvLengths.deallocate()
            argvCapacity = max(count, argvCapacity * 2)
            argv = .allocate(capacity: argvCapacity)
            argvLengths = .allocate(capacity: argvCapacity)
        }
        return command.storage.withUnsafeBufferPointer { buffer -> Int32 in
            withUnsafePointer(to: 0 as UInt8) { empty -> Int32 in
                let base = UnsafeRawPointer(buffer.baseAddress ?? empty).assumingMemoryBound(to: CChar.self)
                var offset = 0
                for index in 0..<count {
                    let length = command.lengths[index]
                    argv[index] = base + offset
                    argvLengths[index] = length
                    offset += length
                }
                return redisAppendCommandArgv(context, Int32(count), argv, argvLengths)
            }
        }
    }

    /// Opens a socket and runs AUTH and SELECT.
    private func connect() throws(RedisError) -> UnsafeMutablePointer<redisContext> {
        let timeout = chiredis_timeval_ms(configuration.connectTimeout.wholeMilliseconds)
        let maybeContext: UnsafeMutablePointer<redisContext>?
        switch configuration.endpoint {
        case .tcp(let host, let port):
            maybeContext = redisConnectWithTimeout(host, Int32(port), timeout)
        case .unix(let path):
            maybeContext = redisConnectUnixWithTimeout(path, timeout)
        }
        guard let context = maybeContext else {
            throw RedisError(.connectionFailed, "could not allocate a hiredis context")
        }
        if chiredis_context_err(context) != 0 {
            let text = String(cString: chiredis_context_errstr(context))
            redisFree(context)
            throw RedisError(.connectionFailed, "cannot connect to \(configuration.endpoint): \(text)")
        }
        // The handshake uses the connect timeout; commands get theirs per batch.
        redisSetTimeout(context, timeout)
        if configuration.endpoint.isTCP { redisEnableKeepAlive(context) }
        do {
            if let password = configuration.password {
                var auth = RedisCommand("AUTH")
                if let username = configuration.username { auth.append(username) }
                auth.append(password)
                try handshake(auth, on: context, what: "AUTH")
            }
            if configuration.database != 0 {
                try handshake(RedisCommand("SELECT", configuration.database), on: context, what: "SELECT \(configuration.database)")
            }
        } catch {
            redisFree(context)
            throw error
        }
        // Writes may block at most the command timeout; reads wait in poll() with per-command deadlines.
        redisSetTimeout(context, chiredis_timeval_ms(configuration.commandTimeout.wholeMilliseconds))
        return context
    }

    private func handshake(_ command: RedisCommand, on context: UnsafeMutablePointer<redisContext>, what: String) throws(RedisError) {
        guard append(command, to: context) == REDIS_OK else {
            throw RedisError(.connectionFailed, "could not buffer \(what)")
        }
        var raw: UnsafeMutableRawPointer? = nil
        guard redisGetReply(context, &raw) == REDIS_OK, let raw else {
            throw RedisError(.connectionFailed, "\(what) failed: \(String(cString: chiredis_context_errstr(context)))")
        }
        let reply = RedisReply(copying: raw.assumingMemoryBound(to: redisReply.self))
        freeReplyObject(raw)
        if case .error(let message) = reply {
            throw RedisError(.authenticationFailed, "\(what) refused: \(message)")
        }
    }

    // MARK: State changes

    private func isShutdown() -> Bool {
        condition.withLock { state == .shutdown }
    }

    private func markConnected() {
        condition.lock()
        guard state != .shutdown else {
            condition.unlock()
            return
        }
        state = .connected
        isConnected.store(true, ordering: .relaxed)
        let waiters = connectWaiters
        connectWaiters.removeAll()
        condition.unlock()
        for waiter in waiters.values { waiter.resume() }
    }

    /// The idle connection was closed by the server: commands queue until the immediate reconnect succeeds
    /// (then they are written to the new connection) or fails (then they fail as not sent).
    private func markReconnecting() {
        condition.withLock {
            if state != .shutdown { state = .reconnecting }
            isConnected.store(false, ordering: .relaxed)
        }
    }

    private func markDisconnected(reason: String) {
        condition.lock()
        if state != .shutdown { state = .disconnected(reason: reason) }
        isConnected.store(false, ordering: .relaxed)
        let unsent = queue
        queue.removeAll()
        condition.unlock()
        for pending in unsent {
            pending.continuation.resume(
                throwing: RedisError(.notConnected, "connection lost before the command was sent: \(reason)")
            )
        }
    }

    /// Waits out a reconnect delay; returns false when the client shut down meanwhile.
    private func sleep(for delay: Duration) -> Bool {
        let until = Date(timeIntervalSinceNow: Double(delay.wholeMilliseconds) / 1000)
        condition.lock()
        defer { condition.unlock() }
        while state != .shutdown {
            if !condition.wait(until: until) { break }
        }
        return state != .shutdown
    }

    private func finish() {
        if let context {
            redisFree(context)
            self.context = nil
        }
        condition.lock()
        state = .shutdown
        isConnected.store(false, ordering: .relaxed)
        exited = true
        let unsent = queue
        queue.removeAll()
        let waiters = connectWaiters
        connectWaiters.removeAll()
        let exits = exitWaiters
        exitWaiters.removeAll()
        condition.unlock()
        let error = RedisError(.clientShutdown, "the Redis client was shut down")
        for pending in unsent { pending.continuation.resume(throwing: error) }
        for waiter in waiters.values { waiter.resume(throwing: error) }
        for exit in exits { exit.resume() }
        logger.debug("redis connection closed")
    }
}

// The mutable state is guarded by `condition`, except `context` and the argv scratch buffers, which only
// the connection's own I/O thread touches after `start()`.
extension RedisConnection: @unchecked Sendable {}

extension RedisConfiguration.Endpoint {
    var isTCP: Bool {
        if case .tcp = self { return true }
        return false
    }
}
