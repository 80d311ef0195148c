import Foundation

extension RedisConfiguration {
    /// Creates a sentinel configuration: the sentinels (`host:port` or `[ipv6]:port`, asked in order) and the
    /// name they monitor the primary under (`sentinel monitor <masterName> …`). `username`, `password` and
    /// `database` apply to the primary; `sentinelUsername` and `sentinelPassword` (nil: none) to the sentinels.
    ///
    /// For a comma-separated list (`QUOTAD_REDIS_SENTINELS`), pass `list.split(separator: ",").map(String.init)`.
    /// - Throws: ``RedisError`` with code ``RedisError/Code/invalidURL`` when there is no sentinel, one is
    ///   malformed, or the master name is empty.
    public init(
        sentinels: [String],
        masterName: String,
        username: String? = nil,
        password: String? = nil,
        sentinelUsername: String? = nil,
        sentinelPassword: String? = nil,
        database: Int = 0,
        poolSize: Int = 4,
        connectTimeout: Duration = .seconds(2),
        commandTimeout: Duration = .seconds(2)
    ) throws(RedisError) {
        var addresses: [ClusterNodeAddress] = []
        for raw in sentinels {
            let text = raw.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            guard let address = ClusterNodeAddress(text), !address.host.isEmpty else {
                throw RedisError(.invalidURL, "sentinel '\(text)' is not host:port")
            }
            addresses.append(address)
        }
        guard let first = addresses.first else { throw RedisError(.invalidURL, "no sentinel given") }
        guard !masterName.isEmpty else { throw RedisError(.invalidURL, "no sentinel master name given") }
        self.init(
            endpoint: first.endpoint, username: username, password: password, database: database,
            poolSize: poolSize, connectTimeout: connectTimeout, commandTimeout: commandTimeout
        )
        self.mode = .sentinel(sentinels: addresses.map(\.description), masterName: masterName)
        self.sentinelUsername = sentinelUsername
        self.sentinelPassword = sentinelPassword
    }
}
