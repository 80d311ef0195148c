import Foundation

extension QuotadConfiguration {
    /// The configuration file used when neither `--config` nor `QUOTAD_CONFIG` names one.
    public static let defaultPath = "config/quotad.yaml"

    /// Loads the configuration: defaults, then the YAML file, then `QUOTAD_*` environment variables.
    ///
    /// - Parameters:
    ///   - path: the file named on the command line; else `QUOTAD_CONFIG`; else ``defaultPath`` if it exists.
    ///     A file that was named explicitly must exist.
    ///   - environment: the process environment.
    /// - Throws: ``ConfigurationError`` naming the file, key or variable at fault.
    public static func load(path: String?, environment: [String: String]) throws(ConfigurationError) -> QuotadConfiguration {
        var configuration = QuotadConfiguration()
        let explicit = path ?? environment["QUOTAD_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }
        let filePath = explicit ?? defaultPath
        if FileManager.default.fileExists(atPath: filePath) {
            let text: String
            do {
                text = try String(contentsOfFile: filePath, encoding: .utf8)
            } catch {
                throw ConfigurationError("cannot read configuration file \(filePath): \(error.localizedDescription)")
            }
            try configuration.apply(yaml: text, source: filePath)
        } else if let explicit {
            throw ConfigurationError("configuration file \(explicit) does not exist")
        }
        try configuration.apply(environment: environment)
        try configuration.validate()
        return configuration
    }

    /// Checks every value's range, and the rules that involve two settings.
    public func validate() throws(ConfigurationError) {
        for key in ConfigurationKey.all {
            do {
                try key.check(self)
            } catch {
                throw ConfigurationError("\(key.path) (\(key.environmentVariable)) \(error.reason)", key: key.path)
            }
        }
        guard reservationDefaultTTLSeconds <= reservationMaximumTTLSeconds else {
            throw ConfigurationError(
                "reservations.default_ttl_seconds (QUOTAD_RESERVATION_TTL_SECONDS) must not exceed reservations.max_ttl_seconds "
                    + "(got \(reservationDefaultTTLSeconds) > \(reservationMaximumTTLSeconds))",
                key: "reservations.default_ttl_seconds"
            )
        }
        for key in adminKeys {
            guard key.utf8.count >= 16 && key.utf8.count <= 512 else {
                throw ConfigurationError("every admin key (auth.admin_keys / QUOTAD_ADMIN_KEYS) must be 16…512 characters", key: "auth.admin_keys")
            }
            guard !key.contains(where: { $0 == " " || $0 == "," }) else {
                throw ConfigurationError("admin keys (auth.admin_keys / QUOTAD_ADMIN_KEYS) must not contain spaces or commas", key: "auth.admin_keys")
            }
        }
        try validateRedis()
        try validateExport()
    }

    /// A log-safe summary (no keys, no Redis password).
    public var redactedSummary: String {
        return "http=\(httpHost):\(httpPort) redis=\(redisSummary) min_replicas_ack=\(redisMinimumReplicaAcknowledgements) pool=\(redisPoolSize) timeout=\(redisTimeoutMilliseconds)ms "
            + "read_timeout=\(httpReadTimeoutMilliseconds)ms idle_timeout=\(httpIdleTimeoutMilliseconds)ms event_loops=\(eventLoops == 0 ? "auto" : String(eventLoops)) "
            + "admin_keys=\(adminKeys.count) pricing=\(pricingFile ?? "bundled") unpriced_models=\(unpricedModels.rawValue) "
            + "fail_open=\(reservationsFailOpen)"
    }

    static func redactURL(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return "<unparsable URL>" }
        if components.password != nil { components.password = "***" }
        return components.string ?? "<redacted>"
    }
}
