public import AsyncRedis
import Foundation

/// TLS to Redis (`redis.tls.*`) and passwords read from files (`redis.password_file`,
/// `redis.sentinel_password_file`).
extension QuotadConfiguration {
    /// Whether quotad speaks TLS to Redis: `redis.tls.enabled`, a `rediss://` `redis.url`, or a `rediss://` seed node.
    public var redisUsesTLS: Bool {
        if redisTLSEnabled { return true }
        switch redisMode {
        case .standalone: return redisURL.map(Self.isTLSURL) ?? false
        case .cluster: return redisNodes.contains(where: Self.isTLSURL)
        case .sentinel: return false
        }
    }

    /// The client's TLS settings, or nil when quotad speaks plain TCP to Redis.
    public var redisTLSConfiguration: RedisTLSConfiguration? {
        guard redisUsesTLS else { return nil }
        return RedisTLSConfiguration(
            caFile: redisTLSCAFile, certificateFile: redisTLSCertificateFile, keyFile: redisTLSKeyFile,
            insecureSkipVerify: redisTLSInsecureSkipVerify
        )
    }

    /// For the start-up summary: `off`, `verified`, `verified+client-cert`, or `INSECURE (no verification)`.
    var redisTLSSummary: String {
        guard redisUsesTLS else { return "off" }
        if redisTLSInsecureSkipVerify { return "INSECURE(no verification)" }
        return (redisTLSCAFile == nil ? "verified(system CAs)" : "verified(ca_file)") + (redisTLSCertificateFile == nil ? "" : "+client-cert")
    }

    /// The data nodes' password: read from `redis.password_file` when set, else `redis.password`.
    ///
    /// - Throws: ``ConfigurationError`` when the file cannot be read or is empty.
    public func resolvedRedisPassword() throws(ConfigurationError) -> String? {
        guard let redisPasswordFile else { return redisPassword }
        return try Self.readSecret(redisPasswordFile, key: "redis.password_file", variable: "QUOTAD_REDIS_PASSWORD_FILE")
    }

    /// The sentinels' password: read from `redis.sentinel_password_file` when set, else `redis.sentinel_password`.
    ///
    /// - Throws: ``ConfigurationError`` when the file cannot be read or is empty.
    public func resolvedRedisSentinelPassword() throws(ConfigurationError) -> String? {
        guard let redisSentinelPasswordFile else { return redisSentinelPassword }
        return try Self.readSecret(
            redisSentinelPasswordFile, key: "redis.sentinel_password_file", variable: "QUOTAD_REDIS_SENTINEL_PASSWORD_FILE"
        )
    }

    /// The ACL user of `redis.url` when the password comes from `redis.password_file`: the URL's user part
    /// (`rediss://quotad@host`, which without a password file would be read as a password).
    var redisURLUsername: String? {
        guard let url = redisURL, let user = URLComponents(string: url)?.user, !user.isEmpty else { return nil }
        return user
    }

    /// A password and its file are not both set; the sentinels' file belongs to sentinel mode.
    func validateRedisSecrets() throws(ConfigurationError) {
        if redisPasswordFile != nil, redisPassword != nil {
            throw ConfigurationError(
                "redis.password (QUOTAD_REDIS_PASSWORD) and redis.password_file (QUOTAD_REDIS_PASSWORD_FILE) are both set: keep one",
                key: "redis.password_file"
            )
        }
        if redisPasswordFile != nil, redisMode == .standalone {
            guard let url = redisURL else {
                throw ConfigurationError(
                    "redis.password_file (QUOTAD_REDIS_PASSWORD_FILE) is set but there is no redis.url: the embedded Redis has no password",
                    key: "redis.password_file"
                )
            }
            if URLComponents(string: url)?.password != nil {
                throw ConfigurationError(
                    "redis.password_file (QUOTAD_REDIS_PASSWORD_FILE) is set and redis.url has a password too (\(Self.redactURL(url))): keep one",
                    key: "redis.password_file"
                )
            }
        }
        if redisSentinelPasswordFile != nil {
            guard redisMode == .sentinel else {
                throw ConfigurationError(
                    "redis.sentinel_password_file is set but redis.mode (QUOTAD_REDIS_MODE) is \(redisMode.rawValue): it authenticates to the sentinels",
                    key: "redis.sentinel_password_file"
                )
            }
            if redisSentinelPassword != nil {
                throw ConfigurationError(
                    "redis.sentinel_password (QUOTAD_REDIS_SENTINEL_PASSWORD) and redis.sentinel_password_file "
                        + "(QUOTAD_REDIS_SENTINEL_PASSWORD_FILE) are both set: keep one",
                    key: "redis.sentinel_password_file"
                )
            }
        }
    }

    /// TLS settings need TLS (an external Redis reached by `rediss://` or `redis.tls.enabled`), and a
    /// `redis://` URL does not mix with `redis.tls.enabled`; a client certificate needs its key.
    func validateRedisTLS() throws(ConfigurationError) {
        let setting: String? =
            redisTLSCAFile != nil ? "redis.tls.ca_file" : redisTLSCertificateFile != nil ? "redis.tls.cert_file"
            : redisTLSKeyFile != nil ? "redis.tls.key_file" : redisTLSInsecureSkipVerify ? "redis.tls.insecure_skip_verify" : nil
        if redisMode == .standalone, let url = redisURL, redisTLSEnabled, !Self.isTLSURL(url) {
            throw ConfigurationError(
                "redis.tls.enabled (QUOTAD_REDIS_TLS_ENABLED) is on but redis.url is a plain \(Self.redactURL(url)): write it as rediss://",
                key: "redis.tls.enabled"
            )
        }
        if redisMode == .standalone, redisURL == nil, redisTLSEnabled || setting != nil {
            let key = setting ?? "redis.tls.enabled"
            throw ConfigurationError("\(key) is set but there is no redis.url: the embedded Redis speaks plain TCP on loopback", key: key)
        }
        if let setting, !redisUsesTLS {
            throw ConfigurationError(
                "\(setting) is set but Redis is reached without TLS: use a rediss:// URL (or redis.tls.enabled in cluster and sentinel modes), "
                    + "or remove \(setting)",
                key: setting
            )
        }
        if (redisTLSCertificateFile == nil) != (redisTLSKeyFile == nil) {
            let (given, missing) = redisTLSCertificateFile == nil ? ("redis.tls.key_file", "redis.tls.cert_file") : ("redis.tls.cert_file", "redis.tls.key_file")
            throw ConfigurationError("\(given) is set but \(missing) is not: mutual TLS needs both", key: missing)
        }
    }

    static func isTLSURL(_ text: String) -> Bool {
        text.lowercased().hasPrefix("rediss://")
    }

    /// A secret file's text with its trailing line break(s) removed.
    static func readSecret(_ path: String, key: String, variable: String) throws(ConfigurationError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError("\(key) (\(variable)): cannot read \(path)", key: key)
        }
        guard var text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError("\(key) (\(variable)): \(path) is not UTF-8 text", key: key)
        }
        while let last = text.last, last == "\n" || last == "\r" || last == "\r\n" { text.removeLast() }
        guard !text.isEmpty else { throw ConfigurationError("\(key) (\(variable)): \(path) is empty", key: key) }
        return text
    }
}
