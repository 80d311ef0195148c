internal import CHiredis
import CoreMetrics
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The I/O thread: connects, writes what callers queued, reads and hands out replies, reconnects.
extension RedisConnection {
    func run() {
        var delay = configuration.initialReconnectDelay
        var everConnected = false
        while true {
            guard let context else {
                if isShutdown() { break }
                do {
                    let context = try connect()
                    self.context = context
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
                }
                continue
            }

            condition.lock()
            if state == .shutdown {
                condition.unlock()
                break
            }
            if queue.isEmpty && inflightCount == 0 {
                ioPolling = true
                condition.unlock()
                if let closed = watchIdle(context) {
                    // Nothing was in flight: no caller sees this; queued commands wait for the new connection.
                    metrics.connectionLosses.increment()
                    logger.info("redis connection closed while idle; reconnecting", metadata: ["redis.error": "\(closed.message)"])
                    closeSocket()
                    markReconnecting()
                }
                continue
            }
            swap(&batch, &queue)
            ioPolling = true
            condition.unlock()

            if !batch.isEmpty {
                let now = monotonicNanoseconds()
                for pending in batch {
                    if pending.deadline <= now {
                        // Never written: the command certainly did not run.
                        metrics.timeouts.increment()
                        pending.continuation?.resume(throwing: RedisError(.timeout, "timed out before the command was sent", outcomeUnknown: false))
                    } else {
                        pending.command.encode(into: &output)
                        inflight.append(pending)
                    }
                }
                batch.removeAll(keepingCapacity: true)
            }
            var failure = flushOutput(context)
            if failure == nil && inflightCount > 0 {
                failure = awaitIO(context, wantsWrite: !output.isEmpty, oldestDeadline: inflight[inflightHead].deadline)
            }
            if let failure {
                metrics.connectionLosses.increment()
                logger.warning("redis connection lost", metadata: ["redis.error": "\(failure.message)"])
                failInflight(failure)
                closeSocket()
                markDisconnected(reason: failure.message)
            }
        }
        failInflight(RedisError(.clientShutdown, "the Redis client was shut down while the command was in flight", outcomeUnknown: true))
        finish()
    }

    /// Waits (in `poll`) until replies arrive, the socket takes more bytes (when `wantsWrite`), new commands
    /// are queued, or the oldest command's deadline passes; hands every complete reply to its caller.
    private func awaitIO(_ context: UnsafeMutablePointer<redisContext>, wantsWrite: Bool, oldestDeadline: UInt64) -> RedisError? {
        let now = monotonicNanoseconds()
        guard oldestDeadline > now else { return timeoutError() }
        let timeoutMs = Int32(clamping: (oldestDeadline - now + 999_999) / 1_000_000)
        var fds = (
            pollfd(fd: chiredis_context_fd(context), events: Int16(POLLIN) | (wantsWrite ? Int16(POLLOUT) : 0), revents: 0),
            pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)
        )
        let ready = withUnsafeMutableBytes(of: &fds) { poll($0.baseAddress!.assumingMemoryBound(to: pollfd.self), 2, timeoutMs) }
        if ready < 0 {
            return errno == EINTR ? nil : RedisError(.connectionLost, "poll failed: errno \(errno)", outcomeUnknown: true)
        }
        if ready == 0 { return monotonicNanoseconds() >= oldestDeadline ? timeoutError() : nil }
        if fds.1.revents != 0 { drainWakePipe() }
        if fds.0.revents & ~Int16(POLLOUT) != 0 {
            // POLLIN, or POLLHUP / POLLERR: the read returns the replies or reports the close.
            if redisBufferRead(context) != REDIS_OK { return contextError(context) }
            return deliverReplies(context)
        }
        return nil
    }

    /// Waits (in `poll`) while nothing is queued or in flight, watching the socket as well as the wake-up
    /// pipe: returns an error when the server closed or reset the connection (or sent unsolicited data), so
    /// the caller reconnects before anything is written to it. The socket is checked first, so a close that
    /// arrived together with new commands is noticed before they are written.
    private func watchIdle(_ context: UnsafeMutablePointer<redisContext>) -> RedisError? {
        var fds = (
            pollfd(fd: chiredis_context_fd(context), events: Int16(POLLIN), revents: 0),
            pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)
        )
        let ready = withUnsafeMutableBytes(of: &fds) { poll($0.baseAddress!.assumingMemoryBound(to: pollfd.self), 2, -1) }
        if ready < 0 {
            return errno == EINTR ? nil : RedisError(.connectionLost, "poll failed: errno \(errno)")
        }
        if fds.0.revents != 0 {
            // POLLIN with EOF, POLLHUP or POLLERR: the read reports the close or reset.
            if redisBufferRead(context) != REDIS_OK { return contextError(context) }
            return RedisError(.protocolError, "the server sent data while no command was waiting for a reply")
        }
        if fds.1.revents != 0 { drainWakePipe() }
        return nil
    }

    private func drainWakePipe() {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { sink in
            while read(wakeRead, sink.baseAddress, sink.count) > 0 {}
        }
    }

    /// Parses every complete reply read so far and resumes their callers, all in one go.
    private func deliverReplies(_ context: UnsafeMutablePointer<redisContext>) -> RedisError? {
        var failure: RedisError?
        while true {
            var raw: UnsafeMutableRawPointer? = nil
            if redisGetReplyFromReader(context, &raw) != REDIS_OK {
                failure = contextError(context)
                break
            }
            guard let raw else { break }
            replies.append(RedisReply(copying: raw.assumingMemoryBound(to: redisReply.self)))
            freeReplyObject(raw)
        }
        if replies.isEmpty { return failure }
        let completedAt = monotonicNanoseconds()
        let count = min(replies.count, inflightCount)
        for index in 0..<count {
            let pending = inflight[inflightHead + index]
            if let held = pending.heldReply {
                held.reply = replies[index]
            } else {
                pending.continuation?.resume(returning: CompletedReply(reply: replies[index], completedAt: completedAt))
            }
        }
        inflightHead += count
        if inflightHead == inflight.count {
            inflight.removeAll(keepingCapacity: true)
            inflightHead = 0
        } else if inflightHead > 1024 {
            inflight.removeFirst(inflightHead)
            inflightHead = 0
        }
        if replies.count > count && failure == nil {
            failure = RedisError(.protocolError, "the server sent more replies than commands were written", outcomeUnknown: true)
        }
        replies.removeAll(keepingCapacity: true)
        return failure
    }

    /// Sends as much of `output` as the socket takes without blocking; the rest waits for `POLLOUT`.
    private func flushOutput(_ context: UnsafeMutablePointer<redisContext>) -> RedisError? {
        if output.isEmpty { return nil }
        var sent = 0
        let failure = sendAll(chiredis_context_fd(context), output, sent: &sent)
        if sent == output.count {
            output.removeAll(keepingCapacity: true)
        } else {
            output.removeFirst(sent)
        }
        return failure
    }

    private func timeoutError() -> RedisError {
        RedisError(.timeout, "no reply within the command timeout (\(configuration.commandTimeout))", outcomeUnknown: true)
    }

    /// Fails every in-flight command (written, or partly, so its outcome is unknown) and drops unsent bytes.
    private func failInflight(_ failure: RedisError) {
        let pending = inflight[inflightHead...]
        for item in pending { item.continuation?.resume(throwing: failure) }
        if failure.code == .timeout { metrics.timeouts.increment(by: pending.count) }
        inflight.removeAll(keepingCapacity: true)
        inflightHead = 0
        output.removeAll(keepingCapacity: true)
    }

    /// Frees the hiredis context, closing the socket.
    func closeSocket() {
        redisFree(context)
        context = nil
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
}

/// Sends `bytes` without blocking until the socket takes no more (`sent` < count, no failure) or fails.
private func sendAll(_ socket: Int32, _ bytes: [UInt8], sent: inout Int) -> RedisError? {
    bytes.withUnsafeBytes { buffer in
        while sent < buffer.count {
            let result = sendNonBlocking(socket, buffer.baseAddress! + sent, buffer.count - sent)
            if result > 0 {
                sent += result
                continue
            }
            let code = errno
            if result < 0 && code == EINTR { continue }
            if result < 0 && (code == EAGAIN || code == EWOULDBLOCK) { return nil }
            let text = result == 0 ? "the socket accepted no bytes" : String(cString: strerror(code))
            return RedisError(.connectionLost, "connection lost: \(text)", outcomeUnknown: true)
        }
        return nil
    }
}

/// `send` without blocking and without SIGPIPE (the error comes back as `EPIPE`).
@inline(__always)
private func sendNonBlocking(_ socket: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    #if os(Linux)
    return send(socket, bytes, count, Int32(MSG_DONTWAIT) | Int32(MSG_NOSIGNAL))
    #else
    return send(socket, bytes, count, MSG_DONTWAIT)
    #endif
}
