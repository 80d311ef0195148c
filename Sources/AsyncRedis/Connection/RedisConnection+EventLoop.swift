import CoreMetrics
import Logging
import NIOCore

/// Writing commands, reading replies and failing them: everything here runs on the connection's event loop.
extension RedisConnection {
    func submit(
        _ command: RedisCommand, deadline: UInt64, asking: Bool,
        then next: (command: RedisCommand, held: HeldReply)?,
        continuation: UnsafeContinuation<CompletedReply, any Error>
    ) {
        guard state == .connected || state == .reconnecting else {
            continuation.resume(throwing: refusal(in: state))
            return
        }
        let now = monotonicNanoseconds()
        if asking { accept(PendingCommand(command: RedisCommand.asking, deadline: deadline, continuation: nil), now: now) }
        if let next {
            accept(PendingCommand(command: command, deadline: deadline, continuation: nil, heldReply: next.held), now: now)
            accept(PendingCommand(command: next.command, deadline: deadline, continuation: continuation), now: now)
        } else {
            accept(PendingCommand(command: command, deadline: deadline, continuation: continuation), now: now)
        }
    }

    func submit(
        batch commands: [RedisCommand], held: [HeldReply], deadline: UInt64,
        continuation: UnsafeContinuation<CompletedReply, any Error>
    ) {
        guard state == .connected || state == .reconnecting else {
            // Decided at once: none of the batch is sent.
            continuation.resume(throwing: refusal(in: state))
            return
        }
        let now = monotonicNanoseconds()
        for index in 0..<(commands.count - 1) {
            accept(PendingCommand(command: commands[index], deadline: deadline, continuation: nil, heldReply: held[index]), now: now)
        }
        accept(PendingCommand(command: commands[commands.count - 1], deadline: deadline, continuation: continuation), now: now)
    }

    /// Why a command is not sent in `state` (shut down, or not connected).
    func refusal(in state: State) -> RedisError {
        switch state {
        case .shutdown: RedisError(.clientShutdown, "the Redis client was shut down")
        case .connecting: RedisError(.notConnected, "not connected to \(configuration.endpoint) yet (connecting)")
        case .disconnected(let reason): RedisError(.notConnected, "not connected to \(configuration.endpoint): \(reason)")
        case .connected, .reconnecting: RedisError(.notConnected, "not connected to \(configuration.endpoint)")
        }
    }

    /// Writes the command now, or queues it while the connection is being replaced after an idle close.
    private func accept(_ pending: PendingCommand, now: UInt64) {
        if state == .reconnecting {
            queue.append(pending)
        } else {
            write(pending, now: now)
        }
    }

    /// Encodes the command into the output (sent at the end of this turn of the loop) and expects its reply.
    func write(_ pending: PendingCommand, now: UInt64) {
        guard pending.deadline > now else {
            // Never written: the command certainly did not run.
            metrics.timeouts.increment()
            pending.fail(RedisError(.timeout, "timed out before the command was sent", outcomeUnknown: false))
            return
        }
        pending.command.encode(into: &output)
        inflight.append(pending)
        if deadlineTimer == nil { scheduleDeadlineTimer(at: pending.deadline, now: now) }
        if !flushScheduled {
            flushScheduled = true
            eventLoop.execute { self.flush() }
        }
    }

    /// Hands everything written during this turn of the loop to the channel in one write.
    private func flush() {
        flushScheduled = false
        guard let channel, output.readableBytes > 0 else { return }
        channel.writeAndFlush(output, promise: nil)
        output.clear()
    }

    private func scheduleDeadlineTimer(at deadline: UInt64, now: UInt64) {
        let delay = deadline > now ? deadline - now : 0
        deadlineTimer = eventLoop.scheduleTask(in: .nanoseconds(Int64(clamping: delay))) { self.deadlineTimerFired() }
    }

    /// Fails everything in flight when the oldest command's deadline has passed; otherwise waits for it.
    private func deadlineTimerFired() {
        deadlineTimer = nil
        guard inflightCount > 0 else { return }
        let oldest = inflight[inflightHead].deadline
        let now = monotonicNanoseconds()
        if oldest <= now {
            // The handshake's deadline is the connect timeout; every other command's is the command timeout.
            let limit = handshaking ? "connect timeout (\(configuration.connectTimeout))" : "command timeout (\(configuration.commandTimeout))"
            connectionBroke(RedisError(.timeout, "no reply within the \(limit)", outcomeUnknown: true))
        } else {
            scheduleDeadlineTimer(at: oldest, now: now)
        }
    }

    /// Parses every complete reply in `bytes` and resumes their callers, in order.
    func received(_ bytes: ByteBuffer, on channel: any Channel) {
        guard channel === self.channel, let reader else { return }
        channelAnswered = true
        reader.feed(bytes)
        var completedAt: UInt64 = 0
        while true {
            let reply: RedisReply?
            do {
                reply = try reader.next()
            } catch {
                connectionBroke(error)
                return
            }
            guard let reply else { break }
            guard inflightHead < inflight.count else {
                if handshaking || completedAt != 0 {
                    connectionBroke(RedisError(.protocolError, "the server sent more replies than commands were written", outcomeUnknown: true))
                } else {
                    closedWhileIdle(RedisError(.protocolError, "the server sent data while no command was waiting for a reply"))
                }
                return
            }
            let pending = inflight[inflightHead]
            inflightHead += 1
            if completedAt == 0 { completedAt = monotonicNanoseconds() }
            pending.complete(reply, completedAt: completedAt)
        }
        if inflightHead == inflight.count {
            inflight.removeAll(keepingCapacity: true)
            inflightHead = 0
        } else if inflightHead > 1024 {
            inflight.removeFirst(inflightHead)
            inflightHead = 0
        }
    }

    /// The channel closed (or failed): in-flight commands fail as outcome-unknown, an idle connection is
    /// replaced at once.
    func channelClosed(_ channel: any Channel, error: (any Error)?) {
        guard channel === self.channel else { return }
        var detail = error.map { describe($0) } ?? "the server closed the connection"
        if !channelAnswered, configuration.tls == nil, case .tcp = configuration.endpoint {
            detail += " before its first reply (is this a TLS port? use rediss://)"
        }
        if handshaking || inflightCount > 0 {
            connectionBroke(RedisError(.connectionLost, "connection lost: \(detail)", outcomeUnknown: true))
        } else {
            closedWhileIdle(RedisError(.connectionLost, "connection lost: \(detail)"))
        }
    }

    /// The connection broke with commands in flight (or its handshake unanswered): they fail with
    /// `failure`, the channel is closed and a new connection is opened at once.
    func connectionBroke(_ failure: RedisError) {
        let wasHandshaking = handshaking
        closeChannel()
        if wasHandshaking {
            failInflight(failure)
            connectFailed(RedisError(.connectionFailed, "cannot connect to \(configuration.endpoint): \(failure.message)"))
            return
        }
        metrics.connectionLosses.increment()
        logger.warning("redis connection lost", metadata: ["redis.error": "\(failure.message)"])
        failInflight(failure)
        markDisconnected(reason: failure.message)
        connect()
    }

    /// The server closed the connection while nothing was in flight: no caller sees this; commands queue
    /// until the immediate reconnect succeeds (then they are written) or fails (then they fail as not sent).
    private func closedWhileIdle(_ reason: RedisError) {
        metrics.connectionLosses.increment()
        logger.info("redis connection closed while idle; reconnecting", metadata: ["redis.error": "\(reason.message)"])
        closeChannel()
        markReconnecting()
        connect()
    }

    /// Fails every in-flight command (written, or partly, so its outcome is unknown) and drops unsent bytes.
    func failInflight(_ failure: RedisError) {
        let pending = inflight[inflightHead...]
        inflight = []
        inflightHead = 0
        output.clear()
        deadlineTimer?.cancel()
        deadlineTimer = nil
        if failure.code == .timeout { metrics.timeouts.increment(by: pending.count) }
        for item in pending { item.fail(failure) }
    }

    /// Forgets and closes the channel (its later events are ignored).
    func closeChannel() {
        guard let channel else { return }
        self.channel = nil
        reader = nil
        handshaking = false
        channel.close(promise: nil)
    }
}

extension PendingCommand {
    /// Hands the reply to whoever waits for it.
    @inline(__always)
    func complete(_ reply: RedisReply, completedAt: UInt64) {
        if let heldReply {
            heldReply.reply = reply
        } else if let internalReply {
            internalReply(.success(reply))
        } else {
            continuation?.resume(returning: CompletedReply(reply: reply, completedAt: completedAt))
        }
    }

    func fail(_ error: RedisError) {
        if let internalReply {
            internalReply(.failure(error))
        } else {
            continuation?.resume(throwing: error)
        }
    }
}
