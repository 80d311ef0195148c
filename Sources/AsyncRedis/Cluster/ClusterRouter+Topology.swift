import Logging
import Synchronization

/// Reading the topology (coalesced, periodic), installing it, waiting for it, and closing everything.
extension ClusterRouter {
    /// Starts the first topology read and the periodic refresh.
    func start() {
        let interval = configuration.clusterTopologyRefreshInterval
        let periodic = Task { [weak self] in
            while !Task.isCancelled {
                do { try await Task.sleep(for: interval) } catch { return }
                self?.requestRefresh()
            }
        }
        state.withLock { $0.periodic = periodic }
        requestRefresh()
    }

    /// Asks for a topology read. Coalesced: at most one read runs at a time, reads start at least
    /// ``RedisConfiguration/clusterMinimumRefreshInterval`` apart, and any number of requests made while one
    /// runs lead to one more read after it. Returns the read that will cover this request.
    @discardableResult
    func requestRefresh() -> Task<Void, Never>? {
        state.withLock { state in
            if state.isShutdown { return nil }
            if let running = state.refresh {
                state.refreshAgain = true
                return running
            }
            return startRefresh(in: &state)
        }
    }

    /// Starts a read task. Call under the lock, with no read running.
    private func startRefresh(in state: inout State) -> Task<Void, Never> {
        let earliest = state.lastRefreshStart &+ configuration.clusterMinimumRefreshInterval.nanoseconds
        let task = Task { [self] in
            let now = monotonicNanoseconds()
            if earliest > now {
                try? await Task.sleep(for: .nanoseconds(Int64(clamping: earliest - now)))
            }
            await readTopology()
            self.state.withLock { current in
                current.refresh = nil
                if current.refreshAgain && !current.isShutdown {
                    current.refreshAgain = false
                    _ = startRefresh(in: &current)
                }
            }
        }
        state.refresh = task
        return task
    }

    /// Waits until a topology is known, running a read if none is (the read is bounded by the timeouts).
    func ensureTopology() async {
        if state.withLock({ $0.topology != nil || $0.isShutdown }) { return }
        await requestRefresh()?.value
    }

    /// Reads the topology from the known primaries, then the seeds, and installs the first answer.
    private func readTopology() async {
        let candidates: [ClusterNodeAddress] = state.withLock { state in
            state.lastRefreshStart = monotonicNanoseconds()
            var known = state.primaries.shuffled()
            for seed in seeds where !known.contains(seed) { known.append(seed) }
            return known
        }
        var failures: [String] = []
        for address in candidates {
            let existing: RedisConnectionPool?? = state.withLock { state in state.isShutdown ? .none : .some(state.pools[address]) }
            guard let existing else { return }
            let pool: RedisConnectionPool
            var temporary: RedisConnectionPool?
            if let existing {
                // A known node that is down is skipped at once: the others answer.
                guard existing.isConnected else {
                    failures.append("\(address): not connected")
                    continue
                }
                pool = existing
            } else {
                var seedConfiguration = configuration
                seedConfiguration.endpoint = address.endpoint
                seedConfiguration.mode = .standalone
                seedConfiguration.database = 0
                seedConfiguration.poolSize = 1
                pool = RedisConnectionPool(configuration: seedConfiguration, logger: logger, metrics: metrics)
                temporary = pool
            }
            let result = await query(pool, address: address)
            if let temporary { await temporary.shutdown() }
            switch result {
            case .success(let topology):
                install(topology, from: address)
                return
            case .failure(let error):
                failures.append("\(address): \(error.message)")
            }
        }
        clusterMetrics.record(.refreshFailed)
        logger.warning("redis cluster topology refresh failed", metadata: ["redis.error": "\(failures.joined(separator: "; "))"])
    }

    /// `CLUSTER SHARDS` on one node, or `CLUSTER SLOTS` when the node does not know it (before Redis 7).
    private func query(_ pool: RedisConnectionPool, address: ClusterNodeAddress) async -> Result<ClusterTopology, RedisError> {
        do {
            try await pool.waitUntilConnected(timeout: configuration.connectTimeout)
        } catch {
            return .failure(RedisError(.connectionFailed, "no connection within \(configuration.connectTimeout)"))
        }
        do {
            let deadline = monotonicNanoseconds() &+ configuration.commandTimeout.nanoseconds
            let shards = try await pool.pick().execute(RedisCommand("CLUSTER", "SHARDS"), deadline: deadline).reply
            if case .error = shards {
                let slots = try await pool.pick().execute(RedisCommand("CLUSTER", "SLOTS"), deadline: deadline).reply
                if case .error(let message) = slots { return .failure(RedisError(serverError: message)) }
                guard let topology = ClusterTopology(slotsReply: slots, fallbackHost: address.host) else {
                    return .failure(RedisError(.unexpectedReply, "CLUSTER SLOTS reply not understood"))
                }
                return topology.shards.isEmpty ? .failure(RedisError(.unexpectedReply, "no slot is assigned")) : .success(topology)
            }
            guard let topology = ClusterTopology(shardsReply: shards, fallbackHost: address.host, tls: configuration.tls != nil) else {
                return .failure(RedisError(.unexpectedReply, "CLUSTER SHARDS reply not understood"))
            }
            return topology.shards.isEmpty ? .failure(RedisError(.unexpectedReply, "no slot is assigned")) : .success(topology)
        } catch {
            return .failure(error)
        }
    }

    /// Makes `topology` the routing table: pools for new primaries, retirement for nodes that left.
    private func install(_ topology: ClusterTopology, from address: ClusterNodeAddress) {
        let retired: [RedisConnectionPool] = state.withLock { state in
            guard !state.isShutdown else { return [] }
            var slots = [UInt16](repeating: ClusterRouter.unassigned, count: ClusterHashSlot.count)
            var primaries: [ClusterNodeAddress] = []
            var primaryPools: [RedisConnectionPool] = []
            for shard in topology.shards {
                let index: Int
                if let known = primaries.firstIndex(of: shard.primary) {
                    index = known
                } else {
                    index = primaries.count
                    primaries.append(shard.primary)
                    primaryPools.append(pool(for: shard.primary, in: &state))
                }
                for range in shard.slots where range.lowerBound >= 0 && range.upperBound < ClusterHashSlot.count {
                    for slot in range { slots[slot] = UInt16(index) }
                }
            }
            var retired: [RedisConnectionPool] = []
            for (node, pool) in state.pools where !primaries.contains(node) {
                state.pools[node] = nil
                state.retiring[ObjectIdentifier(pool)] = pool
                retired.append(pool)
            }
            let changed = state.topology != topology
            state.slots = slots
            state.primaries = primaries
            state.primaryPools = primaryPools
            state.topology = topology
            if changed {
                logger.debug("redis cluster topology", metadata: [
                    "redis.cluster.primaries": "\(primaries.map(\.description).joined(separator: ","))",
                    "redis.cluster.source": "\(address)",
                ])
            }
            return retired
        }
        clusterMetrics.record(.refreshed)
        for pool in retired {
            // Commands already queued on it get their replies; new ones go to the new owners.
            let grace = configuration.commandTimeout + .milliseconds(100)
            Task { [weak self] in
                try? await Task.sleep(for: grace)
                await pool.shutdown()
                _ = self?.state.withLock { $0.retiring.removeValue(forKey: ObjectIdentifier(pool)) }
            }
        }
    }

    /// Whether a topology is known and every primary has a connection up.
    var isConnected: Bool {
        state.withLock { state in
            state.topology != nil && !state.primaryPools.isEmpty && state.primaryPools.allSatisfy(\.isConnected)
        }
    }

    /// Returns once a topology is known and every primary has a connection up; bounded by the caller's
    /// cancellation (``RedisClient/waitUntilConnected(timeout:)`` races it against its timeout).
    func waitUntilReady() async throws {
        for _ in 0..<10_000 {
            try Task.checkCancellation()
            let pools: [RedisConnectionPool]? = state.withLock { $0.topology == nil ? nil : $0.primaryPools }
            if let pools {
                for pool in pools { try await pool.waitUntilConnected(timeout: .seconds(86_400)) }
                if isConnected { return }
                continue
            }
            await ensureTopology()
            if state.withLock({ $0.topology == nil }) {
                // No node answered: the next read starts after the minimum interval.
                try await Task.sleep(for: configuration.clusterMinimumRefreshInterval)
                requestRefresh()
            }
        }
    }

    /// Stops the refreshes and closes every pool.
    func shutdown() async {
        let (pools, tasks): ([RedisConnectionPool], [Task<Void, Never>]) = state.withLock { state in
            state.isShutdown = true
            let pools = Array(state.pools.values) + Array(state.retiring.values)
            state.pools.removeAll()
            state.retiring.removeAll()
            state.primaryPools.removeAll()
            state.primaries.removeAll()
            return (pools, [state.periodic, state.refresh].compactMap { $0 })
        }
        for task in tasks { task.cancel() }
        for pool in pools { await pool.shutdown() }
        for task in tasks { await task.value }
    }
}
