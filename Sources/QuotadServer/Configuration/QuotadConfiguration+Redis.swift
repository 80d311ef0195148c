import AsyncRedis

extension QuotadConfiguration {
    /// The event loops to run: ``eventLoops`` when set, else one per core, minus one core left to Redis when it
    /// runs on this machine (the embedded server, or a standalone URL on a loopback address or a Unix socket),
    /// at least one. Redis is one thread; on a small machine a quotad loop competing with it for a core
    /// lengthens the latency tail more than the extra loop adds throughput (README, "Performance").
    public func effectiveEventLoops(cores: Int) -> Int {
        if eventLoops > 0 { return eventLoops }
        return max(1, redisIsLocal ? cores - 1 : cores)
    }

    /// Whether standalone Redis runs on this machine (embedded, loopback or Unix socket).
    var redisIsLocal: Bool {
        guard redisMode == .standalone else { return false }
        guard let url = redisURL else { return true }
        switch (try? RedisConfiguration(url: url))?.endpoint {
        case .unix: return true
        case .tcp(let host, _):
            let host = host.lowercased()
            return host == "localhost" || host.hasPrefix("127.") || host == "::1" || host == "[::1]"
        case nil: return false
        }
    }

    /// Checks the `redis.*` combination for ``redisMode``: cluster mode needs `redis.nodes`, sentinel mode
    /// `redis.sentinels` and `redis.sentinel_master`; `redis.url` and the embedded server belong to standalone
    /// mode only; settings of another mode are refused rather than ignored; `redis.min_replicas_ack` needs an
    /// external Redis (the embedded one has no replica).
    public func validateRedis() throws(ConfigurationError) {
        let mode = "redis.mode (QUOTAD_REDIS_MODE) is \(redisMode.rawValue)"
        if redisMode != .cluster, !redisNodes.isEmpty {
            throw ConfigurationError(
                "redis.nodes (QUOTAD_REDIS_NODES) is set but \(mode): set redis.mode to cluster, or remove redis.nodes", key: "redis.nodes"
            )
        }
        if redisMode != .sentinel, !redisSentinels.isEmpty || redisSentinelMaster != nil {
            let key = redisSentinels.isEmpty ? "redis.sentinel_master" : "redis.sentinels"
            throw ConfigurationError("\(key) is set but \(mode): set redis.mode to sentinel, or remove \(key)", key: key)
        }
        if redisMode != .sentinel, redisSentinelUsername != nil || redisSentinelPassword != nil {
            let key = redisSentinelPassword == nil ? "redis.sentinel_username" : "redis.sentinel_password"
            throw ConfigurationError("\(key) is set but \(mode): it authenticates to the sentinels; set redis.mode to sentinel, or remove \(key)", key: key)
        }
        if redisMode == .standalone, redisUsername != nil || redisPassword != nil {
            let key = redisPassword == nil ? "redis.username" : "redis.password"
            throw ConfigurationError(
                "\(key) is set but \(mode): standalone mode takes credentials in redis.url (redis://user:password@host:port); remove \(key)",
                key: key
            )
        }
        if redisMode != .standalone, let url = redisURL {
            throw ConfigurationError(
                "redis.url (QUOTAD_REDIS_URL) is for standalone mode only but \(mode) (got \(Self.redactURL(url))): "
                    + (redisMode == .cluster ? "list the nodes in redis.nodes (QUOTAD_REDIS_NODES)" : "list the sentinels in redis.sentinels (QUOTAD_REDIS_SENTINELS)"),
                key: "redis.url"
            )
        }
        switch redisMode {
        case .standalone:
            if redisURL == nil, redisMinimumReplicaAcknowledgements > 0 {
                throw ConfigurationError(
                    "redis.min_replicas_ack (QUOTAD_REDIS_MIN_REPLICAS_ACK) is \(redisMinimumReplicaAcknowledgements) but the embedded Redis "
                        + "(no redis.url) has no replica: set it to 0, or use an external Redis with replicas",
                    key: "redis.min_replicas_ack"
                )
            }
        case .cluster:
            guard !redisNodes.isEmpty else {
                throw ConfigurationError(
                    "\(mode) but redis.nodes (QUOTAD_REDIS_NODES) is empty: list at least one node as host:port (comma-separated in the environment)",
                    key: "redis.nodes"
                )
            }
            do {
                _ = try RedisConfiguration(clusterSeeds: redisNodes)
            } catch {
                throw ConfigurationError("redis.nodes (QUOTAD_REDIS_NODES): \(error.message)", key: "redis.nodes")
            }
        case .sentinel:
            guard !redisSentinels.isEmpty else {
                throw ConfigurationError(
                    "\(mode) but redis.sentinels (QUOTAD_REDIS_SENTINELS) is empty: list the sentinels as host:port (comma-separated in the environment)",
                    key: "redis.sentinels"
                )
            }
            for sentinel in redisSentinels where ClusterNodeAddress(sentinel) == nil {
                throw ConfigurationError("redis.sentinels (QUOTAD_REDIS_SENTINELS): '\(sentinel)' is not host:port", key: "redis.sentinels")
            }
            guard redisSentinelMaster != nil else {
                throw ConfigurationError(
                    "\(mode) but redis.sentinel_master (QUOTAD_REDIS_SENTINEL_MASTER) is empty: give the master name the sentinels monitor",
                    key: "redis.sentinel_master"
                )
            }
        }
        try validateRedisSecrets()
        try validateRedisTLS()
    }

    /// Where Redis is, for the log: the redacted URL, the embedded server, the cluster seeds or the sentinels.
    var redisSummary: String {
        switch redisMode {
        case .standalone: redisURL.map { Self.redactURL($0) } ?? "embedded (data: \(dataDirectory))"
        case .cluster: "cluster(\(redisNodes.map { $0.contains("://") ? Self.redactURL($0) : $0 }.joined(separator: ",")))"
        case .sentinel: "sentinel(\(redisSentinelMaster ?? "")@\(redisSentinels.joined(separator: ",")))"
        }
    }
}
