import Logging
import Synchronization

/// Looking the primary up through the sentinels (coalesced, periodic), verifying it, and closing everything.
extension SentinelMonitor {
    /// Starts the first discovery and the periodic one (every ``RedisConfiguration/sentinelRefreshInterval``,
    /// every 500 ms while no primary is connected).
    func start() {
        let interval = configuration.sentinelRefreshInterval
        let periodic = Task { [weak self] in
            while !Task.isCancelled {
                let healthy = self?.isConnected ?? false
                do { try await Task.sleep(for: healthy ? interval : min(interval, .milliseconds(500))) } catch { return }
                self?.requestDiscovery()
            }
        }
        state.withLock { $0.periodic = periodic }
        requestDiscovery()
    }

    /// Asks for a discovery. Coalesced: one runs at a time, starts are at least 100 ms apart, and requests
    /// made while one runs lead to one more after it.
    func requestDiscovery() {
        state.withLock { state in
            if state.isShutdown { return }
            if state.discovery != nil {
                state.discoverAgain = true
                return
            }
            startDiscovery(in: &state)
        }
    }

    private func startDiscovery(in state: inout State) {
        let earliest = state.lastDiscoveryStart &+ Duration.milliseconds(100).nanoseconds
        state.discovery = Task { [self] in
            let now = monotonicNanoseconds()
            if earliest > now { try? await Task.sleep(for: .nanoseconds(Int64(clamping: earliest - now))) }
            self.state.withLock { $0.lastDiscoveryStart = monotonicNanoseconds() }
            await discover()
            self.state.withLock { current in
                current.discovery = nil
                if current.discoverAgain && !current.isShutdown {
                    current.discoverAgain = false
                    startDiscovery(in: &current)
                }
            }
        }
    }

    /// One discovery: ask the sentinels, and when the address is new (or the old pool was dropped), connect,
    /// check `ROLE` and switch.
    func discover() async {
        guard let address = await askSentinels() else {
            sentinelMetrics.recordDiscovery(succeeded: false)
            logger.debug("no sentinel named the primary")
            return
        }
        let known = state.withLock { state in state.pool != nil && state.address == address }
        if known {
            sentinelMetrics.recordDiscovery(succeeded: true)
            return
        }
        let candidate = makePool(for: address)
        guard await isPrimary(candidate) else {
            await candidate.shutdown()
            sentinelMetrics.recordDiscovery(succeeded: false)
            logger.debug("the sentinels' primary is unreachable or not a primary yet", metadata: ["redis.primary": "\(address)"])
            return
        }
        let (installed, previous) = state.withLock { state -> (Bool, ClusterNodeAddress?) in
            guard !state.isShutdown else { return (false, nil) }
            let previous = state.address
            if let old = state.pool { retire(old, in: &state) }
            state.pool = candidate
            state.address = address
            return (true, previous)
        }
        guard installed else {
            await candidate.shutdown()
            return
        }
        sentinelMetrics.recordDiscovery(succeeded: true)
        if let previous, previous != address {
            sentinelMetrics.recordFailover()
            logger.info("redis primary changed", metadata: ["redis.primary": "\(address)", "redis.previous_primary": "\(previous)"])
        } else {
            logger.debug("redis primary found", metadata: ["redis.primary": "\(address)"])
        }
    }

    /// The first address a sentinel gives for the master name, asking them in order.
    private func askSentinels() async -> ClusterNodeAddress? {
        let command = RedisCommand("SENTINEL", "get-master-addr-by-name", masterName)
        for pool in sentinelPools {
            if !pool.isConnected {
                guard pool.isStarting else { continue }
                try? await pool.waitUntilConnected(timeout: configuration.connectTimeout)
                if !pool.isConnected { continue }
            }
            let deadline = monotonicNanoseconds() &+ configuration.connectTimeout.nanoseconds
            guard let reply = try? await pool.pick().execute(command, deadline: deadline).reply,
                  case .array(let fields) = reply, fields.count == 2,
                  let host = fields[0].text, let port = fields[1].int, (1...65535).contains(port)
            else { continue }
            return ClusterNodeAddress(host: host, port: port)
        }
        return nil
    }

    /// Whether the pool connects within the connect timeout and its server says `ROLE` `master`.
    private func isPrimary(_ pool: RedisConnectionPool) async -> Bool {
        do {
            try await pool.waitUntilConnected(timeout: configuration.connectTimeout)
        } catch {
            return false
        }
        let deadline = monotonicNanoseconds() &+ configuration.commandTimeout.nanoseconds
        guard let reply = try? await pool.pick().execute(RedisCommand("ROLE"), deadline: deadline).reply,
              case .array(let fields) = reply, let role = fields.first?.text
        else { return false }
        return role == "master"
    }

    private func makePool(for address: ClusterNodeAddress) -> RedisConnectionPool {
        var primaryConfiguration = configuration
        primaryConfiguration.mode = .standalone
        primaryConfiguration.endpoint = address.endpoint
        var primaryLogger = logger
        primaryLogger[metadataKey: "redis.primary"] = "\(address)"
        return RedisConnectionPool(configuration: primaryConfiguration, logger: primaryLogger, metrics: metrics)
    }

    /// Waits until a verified primary has a connection up.
    ///
    /// - Throws: ``RedisError/Code/connectionFailed`` after `timeout`.
    func waitUntilConnected(timeout: Duration) async throws(RedisError) {
        do {
            _ = try await primaryPool(until: monotonicNanoseconds() &+ timeout.nanoseconds)
        } catch where error.code == .notConnected {
            throw RedisError(.connectionFailed, "no verified primary for '\(masterName)' within \(timeout)")
        }
    }

    /// Stops the discoveries and closes every pool.
    func shutdown() async {
        let (pools, tasks) = state.withLock { state -> ([RedisConnectionPool], [Task<Void, Never>]) in
            state.isShutdown = true
            var pools = Array(state.retiring.values)
            state.retiring.removeAll()
            if let pool = state.pool { pools.append(pool) }
            state.pool = nil
            let tasks = [state.discovery, state.periodic].compactMap { $0 }
            state.periodic = nil
            return (pools, tasks)
        }
        for task in tasks { task.cancel() }
        for pool in pools { await pool.shutdown() }
        for pool in sentinelPools { await pool.shutdown() }
    }
}
