import Foundation

/// Where and how to connect, parsed from a URL, plus pool size and timeouts.
public struct RedisConfiguration: Sendable, Hashable {
    /// The server's address.
    public enum Endpoint: Sendable, Hashable, CustomStringConvertible {
        /// A TCP host and port.
        case tcp(host: String, port: Int)
        /// A Unix domain socket path.
        case unix(path: String)

        public var description: String {
            switch self {
            case .tcp(let host, let port): return "\(host):\(port)"
            case .unix(let path): return "unix://\(path)"
            }
        }
    }

    /// Whether the client talks to one server or to a Redis Cluster.
    public enum Mode: Sendable, Hashable {
        /// One server at ``RedisConfiguration/endpoint``.
        case standalone
        /// A Redis Cluster discovered from these seed nodes (any reachable node will do); commands are routed
        /// to the primary of their keys' hash slot.
        case cluster(seeds: [ClusterNodeAddress])
        /// A primary with replicas watched by Redis Sentinel: the sentinels (`host:port`, asked in order) name
        /// the current primary of `masterName`; the client follows its failovers (see the README, "Sentinel mode").
        case sentinel(sentinels: [String], masterName: String)
    }

    /// The server's address (in cluster mode: the first seed; in sentinel mode: the first sentinel; used in
    /// messages only).
    public var endpoint: Endpoint
    /// Standalone (the default), cluster or sentinel.
    public var mode: Mode = .standalone
    /// Cluster mode: how often the slot table is read again even when nothing suggested a change.
    public var clusterTopologyRefreshInterval: Duration = .seconds(10)
    /// Cluster mode: the least time between two topology reads (refreshes requested meanwhile are coalesced).
    public var clusterMinimumRefreshInterval: Duration = .milliseconds(100)
    /// Cluster mode: how many `MOVED`/`ASK` redirections one command may follow.
    public var clusterMaximumRedirects: Int = 5
    /// Sentinel mode: how often the sentinels are asked for the primary even when nothing suggested a change
    /// (every 500 ms at most while the primary is unreachable).
    public var sentinelRefreshInterval: Duration = .seconds(2)
    /// Sentinel mode: the ACL user name the sentinels are authenticated with (their own `requirepass` or
    /// ACL), if any; ``username`` and ``password`` are the primary's.
    public var sentinelUsername: String?
    /// Sentinel mode: the password the sentinels are authenticated with, if any.
    public var sentinelPassword: String?
    /// TLS for every connection (`rediss://`), or nil for plain TCP. Not for Unix sockets.
    public var tls: RedisTLSConfiguration?
    /// The ACL user name for AUTH (Redis 6+), if any.
    public var username: String?
    /// The password for AUTH, if any.
    public var password: String?
    /// The database number sent with SELECT on connect (0 sends nothing).
    public var database: Int
    /// How many connections the client keeps; commands are spread over them round-robin.
    public var poolSize: Int
    /// How long one connection attempt may take.
    public var connectTimeout: Duration
    /// How long a caller waits for a reply at most.
    public var commandTimeout: Duration
    /// The first delay before reconnecting after a failure; it doubles up to ``maximumReconnectDelay``.
    public var initialReconnectDelay: Duration
    /// The longest delay between reconnect attempts.
    public var maximumReconnectDelay: Duration

    /// Creates a configuration for an endpoint.
    public init(
        endpoint: Endpoint,
        username: String? = nil,
        password: String? = nil,
        database: Int = 0,
        poolSize: Int = 4,
        connectTimeout: Duration = .seconds(2),
        commandTimeout: Duration = .seconds(2),
        initialReconnectDelay: Duration = .milliseconds(20),
        maximumReconnectDelay: Duration = .milliseconds(500)
    ) {
        self.endpoint = endpoint
        self.username = username
        self.password = password
        self.database = database
        self.poolSize = max(1, poolSize)
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.initialReconnectDelay = initialReconnectDelay
        self.maximumReconnectDelay = maximumReconnectDelay
    }

    /// Creates a cluster configuration from seed nodes, each `host:port`, `[ipv6]:port` or a
    /// `redis://[user:password@]host:port` URL (credentials are taken from the first URL that has them unless
    /// given here). Cluster nodes have database 0 only. A `rediss://` seed turns on TLS for every node.
    ///
    /// For a comma-separated list (`QUOTAD_REDIS_NODES`), pass `list.split(separator: ",").map(String.init)`.
    /// - Throws: ``RedisError`` with code ``RedisError/Code/invalidURL`` when there is no seed or one is malformed.
    public init(
        clusterSeeds: [String],
        username: String? = nil,
        password: String? = nil,
        poolSize: Int = 4,
        connectTimeout: Duration = .seconds(2),
        commandTimeout: Duration = .seconds(2)
    ) throws(RedisError) {
        var seeds: [ClusterNodeAddress] = []
        var username = username
        var password = password
        var wantsTLS = false
        for raw in clusterSeeds {
            let text = raw.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            if text.contains("://") {
                let parsed = try RedisConfiguration(url: text)
                guard case .tcp(let host, let port) = parsed.endpoint else {
                    throw RedisError(.invalidURL, "cluster seed '\(text)' is not a TCP address")
                }
                guard parsed.database == 0 else {
                    throw RedisError(.invalidURL, "cluster seed '\(text)' selects database \(parsed.database); a cluster has database 0 only")
                }
                if parsed.tls != nil { wantsTLS = true }
                if password == nil, let seedPassword = parsed.password {
                    password = seedPassword
                    username = username ?? parsed.username
                }
                seeds.append(ClusterNodeAddress(host: host, port: port))
            } else {
                guard let address = ClusterNodeAddress(text), !address.host.isEmpty else {
                    throw RedisError(.invalidURL, "cluster seed '\(text)' is not host:port")
                }
                seeds.append(address)
            }
        }
        guard let first = seeds.first else { throw RedisError(.invalidURL, "no cluster seed node given") }
        self.init(
            endpoint: first.endpoint, username: username, password: password, poolSize: poolSize,
            connectTimeout: connectTimeout, commandTimeout: commandTimeout
        )
        self.mode = .cluster(seeds: seeds)
        if wantsTLS { self.tls = RedisTLSConfiguration() }
    }

    /// Parses `redis://[user:password@]host[:port][/db]`, `rediss://…` (the same over TLS, verified against
    /// the system trust store until ``tls`` is changed) or `unix:///path/to/socket[?db=N]`.
    ///
    /// Percent-encoded user names and passwords are decoded.
    /// - Throws: ``RedisError`` with code ``RedisError/Code/invalidURL`` or ``RedisError/Code/unsupportedScheme``.
    public init(url: String) throws(RedisError) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else {
            throw RedisError(.invalidURL, "not a URL: expected redis[s]://[user:password@]host:port[/db] or unix:///path")
        }
        var database = 0
        switch scheme {
        case "redis", "rediss":
            guard let host = components.host, !host.isEmpty else {
                throw RedisError(.invalidURL, "redis URL has no host")
            }
            let port = components.port ?? 6379
            guard (1...65535).contains(port) else { throw RedisError(.invalidURL, "port \(port) is out of range") }
            let path = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            if !path.isEmpty {
                guard let db = Int(path), db >= 0 else {
                    throw RedisError(.invalidURL, "database '\(path)' in the URL path is not a non-negative integer")
                }
                database = db
            }
            let bareHost = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
            self.init(endpoint: .tcp(host: bareHost, port: port))
            if scheme == "rediss" { self.tls = RedisTLSConfiguration() }
        case "unix":
            let path = components.path
            guard !path.isEmpty else { throw RedisError(.invalidURL, "unix URL has no socket path") }
            if let db = components.queryItems?.first(where: { $0.name == "db" })?.value {
                guard let value = Int(db), value >= 0 else {
                    throw RedisError(.invalidURL, "db '\(db)' is not a non-negative integer")
                }
                database = value
            }
            self.init(endpoint: .unix(path: path))
        default:
            throw RedisError(.unsupportedScheme, "unsupported scheme '\(scheme)': use redis://, rediss:// (TLS) or unix://")
        }
        self.database = database
        let user = components.percentEncodedUser.flatMap { $0.removingPercentEncoding }
        let password = components.percentEncodedPassword.flatMap { $0.removingPercentEncoding }
        if let password, !password.isEmpty {
            self.password = password
            self.username = (user?.isEmpty ?? true) ? nil : user
        } else if let user, !user.isEmpty {
            // redis://:password@host is common; redis://password@host (no colon) is read as a password too.
            self.password = user
        }
    }
}

extension Duration {
    /// The duration in whole milliseconds (rounded up, at least 1 for any positive duration).
    var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        let millis = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        let remainder = attoseconds % 1_000_000_000_000_000
        return remainder > 0 ? millis + 1 : millis
    }

    /// The duration in nanoseconds, saturating.
    var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        let (product, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return .max }
        return product &+ UInt64(attoseconds / 1_000_000_000)
    }
}
