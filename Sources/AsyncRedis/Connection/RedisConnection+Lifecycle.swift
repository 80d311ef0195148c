import CoreMetrics
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Connecting (with AUTH and SELECT), reconnecting and shutting down; everything here runs on the event loop.
extension RedisConnection {
    /// Opens a channel; AUTH and SELECT follow on it before it is used.
    func connect() {
        guard state != .shutdown else { return }
        reconnectTimer = nil
        attempt &+= 1
        let thisAttempt = attempt
        let tls: NIOSSLContext?
        if configuration.tls != nil, case .tcp = configuration.endpoint {
            do {
                tls = try loadedTLSContext()
            } catch {
                connectFailed(error)
                return
            }
        } else {
            tls = nil
        }
        let timeout = TimeAmount.nanoseconds(Int64(clamping: configuration.connectTimeout.nanoseconds))
        var bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls, case .tcp(let host, _) = self.configuration.endpoint {
                        let watcher = TLSHandshakeHandler(eventLoop: channel.eventLoop, serverName: host, timeout: timeout)
                        // SNI carries names only: an IP address is checked against the certificate's IP entries.
                        let sni = isIPAddress(host) ? nil : host
                        let handler: NIOSSLClientHandler
                        if self.configuration.tls?.insecureSkipVerify == true {
                            handler = try NIOSSLClientHandler(context: tls, serverHostname: sni)
                        } else {
                            // The (deprecated) per-certificate callback keeps BoringSSL's own verification and only
                            // observes it, to say why a certificate failed; its replacement would replace it.
                            handler = try NIOSSLClientHandler(context: tls, serverHostname: sni, verificationCallback: watcher.verify)
                        }
                        try pipeline.addHandler(handler)
                        try pipeline.addHandler(watcher)
                    }
                    try pipeline.addHandler(RedisChannelHandler(connection: self))
                }
            }
        var opened: EventLoopFuture<any Channel>
        switch configuration.endpoint {
        case .tcp(let host, let port):
            bootstrap = bootstrap.channelOption(.socketOption(.so_keepalive), value: 1)
            opened = bootstrap.connect(host: host, port: port)
            if tls != nil {
                // Usable only once the handshake is done; its failure is the attempt's failure.
                opened = opened.flatMap { channel in
                    channel.pipeline.handler(type: TLSHandshakeHandler.self)
                        .flatMap { $0.completed.futureResult }
                        .map { channel }
                        .flatMapError { error in
                            channel.close(promise: nil)
                            return channel.eventLoop.makeFailedFuture(error)
                        }
                }
            }
        case .unix(let path):
            opened = bootstrap.connect(unixDomainSocketPath: path)
        }
        opened.whenComplete { result in
            guard thisAttempt == self.attempt, self.state != .shutdown else {
                if case .success(let channel) = result { channel.close(promise: nil) }
                return
            }
            switch result {
            case .success(let channel):
                self.opened(channel)
            case .failure(let error as RedisError) where error.code == .tlsFailed:
                self.connectFailed(RedisError(.tlsFailed, "cannot connect to \(self.configuration.endpoint) over TLS: \(error.message)"))
            case .failure(let error):
                self.connectFailed(RedisError(.connectionFailed, "cannot connect to \(self.configuration.endpoint): \(describe(error))"))
            }
        }
    }

    /// Runs AUTH and SELECT on the new channel (within the connect timeout), then starts using it.
    private func opened(_ channel: any Channel) {
        self.channel = channel
        reader = RESPReader()
        channelAnswered = false
        var handshake: [(command: RedisCommand, what: String)] = []
        if let password = configuration.password {
            var auth = RedisCommand("AUTH")
            if let username = configuration.username { auth.append(username) }
            auth.append(password)
            handshake.append((auth, "AUTH"))
        }
        if configuration.database != 0 {
            handshake.append((RedisCommand("SELECT", configuration.database), "SELECT \(configuration.database)"))
        }
        guard !handshake.isEmpty else {
            established()
            return
        }
        handshaking = true
        let now = monotonicNanoseconds()
        let deadline = now &+ configuration.connectTimeout.nanoseconds
        var remaining = handshake.count
        for step in handshake {
            var pending = PendingCommand(command: step.command, deadline: deadline, continuation: nil)
            pending.internalReply = { result in
                // A failure of the channel is handled where it is noticed (`connectionBroke`).
                guard case .success(let reply) = result, channel === self.channel else { return }
                if case .error(let message) = reply {
                    self.closeChannel()
                    self.failInflight(RedisError(.connectionLost, "the connection's \(step.what) was refused", outcomeUnknown: true))
                    self.connectFailed(RedisError(.authenticationFailed, "\(step.what) refused: \(message)"))
                    return
                }
                remaining -= 1
                if remaining == 0 {
                    self.handshaking = false
                    self.established()
                }
            }
            write(pending, now: now)
        }
    }

    /// The channel is ready: commands queued during a reconnect are written, waiters resume.
    private func established() {
        state = .connected
        isConnected.store(true, ordering: .relaxed)
        isMakingFirstAttempt.store(false, ordering: .relaxed)
        reconnectDelay = configuration.initialReconnectDelay
        if everConnected { metrics.reconnects.increment() }
        everConnected = true
        logger.debug("redis connection up")
        let waiters = connectWaiters
        connectWaiters.removeAll()
        for waiter in waiters.values { waiter.resume() }
        if !queue.isEmpty {
            let queued = queue
            queue.removeAll()
            let now = monotonicNanoseconds()
            for pending in queued { write(pending, now: now) }
        }
    }

    /// A connection attempt failed: queued commands fail, the next attempt follows after a growing delay.
    func connectFailed(_ error: RedisError) {
        logger.debug("redis connect failed", metadata: ["redis.error": "\(error.message)"])
        metrics.connectFailures.increment()
        lastConnectFailure.withLock { $0 = error.message }
        isMakingFirstAttempt.store(false, ordering: .relaxed)
        markDisconnected(reason: error.message)
        let delay = reconnectDelay
        reconnectDelay = min(reconnectDelay * 2, configuration.maximumReconnectDelay)
        reconnectTimer = eventLoop.scheduleTask(in: .nanoseconds(Int64(clamping: delay.nanoseconds))) { self.connect() }
    }

    // MARK: State changes

    /// The idle connection was closed by the server: commands queue until the immediate reconnect succeeds
    /// (then they are written to the new connection) or fails (then they fail as not sent).
    func markReconnecting() {
        if state != .shutdown { state = .reconnecting }
        isConnected.store(false, ordering: .relaxed)
    }

    func markDisconnected(reason: String) {
        if state != .shutdown { state = .disconnected(reason: reason) }
        isConnected.store(false, ordering: .relaxed)
        let unsent = queue
        queue.removeAll()
        for pending in unsent {
            pending.fail(RedisError(.notConnected, "connection lost before the command was sent: \(reason)"))
        }
    }

    /// Fails everything waiting, closes the channel and resumes `exit` once it is closed.
    func beginShutdown(_ exit: CheckedContinuation<Void, Never>) {
        if exited {
            exit.resume()
            return
        }
        exitWaiters.append(exit)
        guard state != .shutdown else { return }
        state = .shutdown
        isConnected.store(false, ordering: .relaxed)
        reconnectTimer?.cancel()
        reconnectTimer = nil
        let closing = channel
        closeChannel()
        failInflight(RedisError(.clientShutdown, "the Redis client was shut down while the command was in flight", outcomeUnknown: true))
        let error = RedisError(.clientShutdown, "the Redis client was shut down")
        let unsent = queue
        queue.removeAll()
        for pending in unsent { pending.fail(error) }
        let waiters = connectWaiters
        connectWaiters.removeAll()
        for waiter in waiters.values { waiter.resume(throwing: error) }
        guard let closing else {
            finish()
            return
        }
        closing.closeFuture.whenComplete { _ in self.finish() }
    }

    private func finish() {
        exited = true
        let exits = exitWaiters
        exitWaiters.removeAll()
        for exit in exits { exit.resume() }
        logger.debug("redis connection closed")
    }
}

/// A short text for a connection error (`Connection refused`, `connect timeout`, …).
func describe(_ error: any Error) -> String {
    switch error {
    case let error as IOError:
        return String(cString: strerror(error.errnoCode))
    case let error as NIOConnectionError:
        if let first = error.connectionErrors.first { return describe(first.error) }
        if let dns = error.dnsAError ?? error.dnsAAAAError { return "cannot resolve \(error.host): \(dns)" }
        return "cannot connect to \(error.host):\(error.port)"
    case ChannelError.connectTimeout:
        return "connection timed out"
    case let error as RedisError:
        return error.message
    case let error where isTLSError(error):
        return tlsFailureMessage(error, serverName: "the server")
    default:
        return "\(error)"
    }
}

extension RedisConnection {
    /// The TLS context, built once from ``RedisConfiguration/tls`` (its files are read at the first connect).
    func loadedTLSContext() throws(RedisError) -> NIOSSLContext {
        if let tlsContext { return tlsContext }
        guard let tls = configuration.tls else { throw RedisError(.tlsFailed, "no TLS configuration") }
        let context = try tls.makeContext()
        tlsContext = context
        return context
    }
}

/// Whether `host` is an IPv4 or IPv6 literal (no SNI for those).
func isIPAddress(_ host: String) -> Bool {
    var v4 = in_addr()
    var v6 = in6_addr()
    return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
}
