internal import CHiredis
import Foundation
import Logging
import Synchronization

/// Connecting (with AUTH and SELECT) and the connection's state changes.
extension RedisConnection {
    /// Opens a socket and runs AUTH and SELECT.
    func connect() throws(RedisError) -> UnsafeMutablePointer<redisContext> {
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
        // Commands are sent without blocking and their replies awaited in poll() with per-command deadlines.
        redisSetTimeout(context, chiredis_timeval_ms(configuration.commandTimeout.wholeMilliseconds))
        return context
    }

    private func handshake(_ command: RedisCommand, on context: UnsafeMutablePointer<redisContext>, what: String) throws(RedisError) {
        let encoded = command.encoded
        let appended = encoded.withUnsafeBytes { bytes in
            redisAppendFormattedCommand(context, bytes.baseAddress!.assumingMemoryBound(to: CChar.self), bytes.count)
        }
        guard appended == REDIS_OK else {
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

    func isShutdown() -> Bool {
        condition.withLock { state == .shutdown }
    }

    func markConnected() {
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
    func markReconnecting() {
        condition.withLock {
            if state != .shutdown { state = .reconnecting }
            isConnected.store(false, ordering: .relaxed)
        }
    }

    func markDisconnected(reason: String) {
        condition.lock()
        if state != .shutdown { state = .disconnected(reason: reason) }
        isConnected.store(false, ordering: .relaxed)
        let unsent = queue
        queue.removeAll()
        condition.unlock()
        for pending in unsent {
            pending.continuation?.resume(
                throwing: RedisError(.notConnected, "connection lost before the command was sent: \(reason)")
            )
        }
    }

    /// Waits out a reconnect delay; returns false when the client shut down meanwhile.
    func sleep(for delay: Duration) -> Bool {
        let until = Date(timeIntervalSinceNow: Double(delay.wholeMilliseconds) / 1000)
        condition.lock()
        defer { condition.unlock() }
        while state != .shutdown {
            if !condition.wait(until: until) { break }
        }
        return state != .shutdown
    }

    func finish() {
        if context != nil { closeSocket() }
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
        for pending in unsent { pending.continuation?.resume(throwing: error) }
        for waiter in waiters.values { waiter.resume(throwing: error) }
        for exit in exits { exit.resume() }
        logger.debug("redis connection closed")
    }
}
