import Foundation
import TokenQuota

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
            // Read through a file handle, not by the file's size, so that a device or pipe (`/dev/null`, a
            // process substitution) reads as what it yields: `/dev/null` is an empty configuration.
            let data: Data
            do {
                guard let handle = FileHandle(forReadingAtPath: filePath) else {
                    throw ConfigurationError("cannot open configuration file \(filePath)")
                }
                defer { try? handle.close() }
                data = try handle.readToEnd() ?? Data()
            } catch let error as ConfigurationError {
                throw error
            } catch {
                throw ConfigurationError("cannot read configuration file \(filePath): \(error.localizedDescription)")
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw ConfigurationError("configuration file \(filePath) is not UTF-8 text")
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
        guard webhookInitialBackoffMilliseconds <= webhookMaximumBackoffMilliseconds else {
            throw ConfigurationError(
                "webhooks.initial_backoff_ms (QUOTAD_WEBHOOKS_INITIAL_BACKOFF_MS) must not exceed webhooks.max_backoff_ms "
                    + "(got \(webhookInitialBackoffMilliseconds) > \(webhookMaximumBackoffMilliseconds))",
                key: "webhooks.initial_backoff_ms"
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
        _ = try gatewaySettings()
    }

    /// A log-safe summary (no keys, no Redis password).
    public var redactedSummary: String {
        return "http=\(httpHost):\(httpPort) redis=\(redisSummary) min_replicas_ack=\(redisMinimumReplicaAcknowledgements) pool=\(redisPoolSize) timeout=\(redisTimeoutMilliseconds)ms "
            + "read_timeout=\(httpReadTimeoutMilliseconds)ms idle_timeout=\(httpIdleTimeoutMilliseconds)ms event_loops=\(eventLoops == 0 ? "auto" : String(eventLoops)) "
            + "admin_keys=\(adminKeys.count) pricing=\(pricingFile ?? "bundled") unpriced_models=\(unpricedModels.rawValue) "
            + "fail_open=\(reservationsFailOpen) redis_tls=\(redisTLSSummary) gateway=\(gatewaySummary)"
    }

    static func redactURL(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return "<unparsable URL>" }
        if components.password != nil { components.password = "***" }
        return components.string ?? "<redacted>"
    }
}
