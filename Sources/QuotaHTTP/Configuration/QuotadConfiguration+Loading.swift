import Foundation
import Logging
import Yams

extension QuotadConfiguration {
    /// The configuration file used when neither `--config` nor `QUOTAD_CONFIG` names one.
    public static let defaultPath = "config/quotad.yaml"

    /// Loads the configuration: defaults, then the YAML file, then `QUOTAD_*` environment variables.
    ///
    /// - Parameters:
    ///   - path: the file named on the command line; else `QUOTAD_CONFIG`; else ``defaultPath`` if it exists.
    ///     A file that was named explicitly must exist.
    ///   - environment: the process environment.
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

    /// Applies the keys present in a YAML document.
    public mutating func apply(yaml text: String, source: String = "configuration") throws(ConfigurationError) {
        let file: ConfigurationFile
        do {
            if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return }
            file = try YAMLDecoder().decode(ConfigurationFile.self, from: text)
        } catch let error as DecodingError {
            throw ConfigurationError("invalid \(source): \(Self.describe(error))")
        } catch {
            throw ConfigurationError("invalid YAML in \(source): \(error)")
        }
        if let http = file.http {
            if let value = http.host { httpHost = value }
            if let value = http.port { httpPort = value }
            if let value = http.maxBodyBytes { maxBodyBytes = value }
            if let value = http.maxBatchBodyBytes { maxBatchBodyBytes = value }
        }
        if let redis = file.redis {
            if let value = redis.url { redisURL = value.isEmpty ? nil : value }
            if let value = redis.poolSize { redisPoolSize = value }
            if let value = redis.timeoutMs { redisTimeoutMilliseconds = value }
            if let value = redis.connectTimeoutMs { redisConnectTimeoutMilliseconds = value }
            if let embedded = redis.embedded {
                if let value = embedded.dataDir { dataDirectory = value }
                if let value = embedded.port { embeddedRedisPort = value == 0 ? nil : value }
            }
        }
        if let auth = file.auth {
            if let value = auth.adminKeys { adminKeys = value.filter { !$0.isEmpty } }
            if let value = auth.keyCacheMs { keyCacheMilliseconds = value }
        }
        if let value = file.pricing?.file { pricingFile = value.isEmpty ? nil : value }
        if let reservations = file.reservations {
            if let value = reservations.failOpen { reservationsFailOpen = value }
            if let value = reservations.defaultTTLSeconds { reservationDefaultTTLSeconds = value }
            if let value = reservations.maxTTLSeconds { reservationMaximumTTLSeconds = value }
        }
        if let usage = file.usage {
            if let value = usage.historyCycles { historyCycles = value }
            if let value = usage.dedupeTTLSeconds { dedupeTTLSeconds = value }
            if let value = usage.eventStreamLength { eventStreamLength = value }
            if let value = usage.quotaCacheMs { quotaCacheMilliseconds = value }
        }
        if let value = file.settings?.pollIntervalMs { settingsPollMilliseconds = value }
        if let value = file.logging?.level {
            guard let level = Logger.Level(rawValue: value.lowercased()) else {
                throw ConfigurationError("logging.level '\(value)' is not one of trace, debug, info, notice, warning, error, critical")
            }
            logLevel = level
        }
    }

    /// Applies the `QUOTAD_*` variables that are set (an empty value counts as unset).
    public mutating func apply(environment: [String: String]) throws(ConfigurationError) {
        func value(_ name: String) -> String? {
            guard let raw = environment[name]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
            return raw
        }
        func integer(_ name: String) throws(ConfigurationError) -> Int? {
            guard let raw = value(name) else { return nil }
            guard let parsed = Int(raw) else { throw ConfigurationError("\(name) must be an integer (got '\(raw)')") }
            return parsed
        }
        func boolean(_ name: String) throws(ConfigurationError) -> Bool? {
            guard let raw = value(name) else { return nil }
            switch raw.lowercased() {
            case "1", "true", "yes", "on": return true
            case "0", "false", "no", "off": return false
            default: throw ConfigurationError("\(name) must be true or false (got '\(raw)')")
            }
        }
        if let v = value("QUOTAD_HTTP_HOST") { httpHost = v }
        if let v = try integer("QUOTAD_HTTP_PORT") { httpPort = v }
        if let v = try integer("QUOTAD_MAX_BODY_BYTES") { maxBodyBytes = v }
        if let v = try integer("QUOTAD_MAX_BATCH_BODY_BYTES") { maxBatchBodyBytes = v }
        if let v = value("QUOTAD_REDIS_URL") { redisURL = v }
        if let v = try integer("QUOTAD_REDIS_POOL_SIZE") { redisPoolSize = v }
        if let v = try integer("QUOTAD_REDIS_TIMEOUT_MS") { redisTimeoutMilliseconds = v }
        if let v = try integer("QUOTAD_REDIS_CONNECT_TIMEOUT_MS") { redisConnectTimeoutMilliseconds = v }
        if let v = value("QUOTAD_DATA_DIR") { dataDirectory = v }
        if let v = try integer("QUOTAD_EMBEDDED_REDIS_PORT") { embeddedRedisPort = v == 0 ? nil : v }
        if let v = value("QUOTAD_ADMIN_KEYS") {
            adminKeys = v.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        if let v = try integer("QUOTAD_KEY_CACHE_MS") { keyCacheMilliseconds = v }
        if let v = value("QUOTAD_PRICING_FILE") { pricingFile = v }
        if let v = try boolean("QUOTAD_RESERVATIONS_FAIL_OPEN") { reservationsFailOpen = v }
        if let v = try integer("QUOTAD_RESERVATION_TTL_SECONDS") { reservationDefaultTTLSeconds = v }
        if let v = try integer("QUOTAD_RESERVATION_MAX_TTL_SECONDS") { reservationMaximumTTLSeconds = v }
        if let v = try integer("QUOTAD_HISTORY_CYCLES") { historyCycles = v }
        if let v = try integer("QUOTAD_DEDUPE_TTL_SECONDS") { dedupeTTLSeconds = v }
        if let v = try integer("QUOTAD_EVENT_STREAM_LENGTH") { eventStreamLength = v }
        if let v = try integer("QUOTAD_QUOTA_CACHE_MS") { quotaCacheMilliseconds = v }
        if let v = try integer("QUOTAD_SETTINGS_POLL_MS") { settingsPollMilliseconds = v }
        if let v = value("QUOTAD_LOG_LEVEL") {
            guard let level = Logger.Level(rawValue: v.lowercased()) else {
                throw ConfigurationError("QUOTAD_LOG_LEVEL '\(v)' is not one of trace, debug, info, notice, warning, error, critical")
            }
            logLevel = level
        }
    }

    /// Checks every value's range.
    public func validate() throws(ConfigurationError) {
        func check(_ condition: Bool, _ message: String) throws(ConfigurationError) {
            if !condition { throw ConfigurationError(message) }
        }
        try check(!httpHost.isEmpty, "http.host (QUOTAD_HTTP_HOST) must not be empty")
        try check((0...65535).contains(httpPort), "http.port (QUOTAD_HTTP_PORT) must be 0…65535 (got \(httpPort))")
        try check((1024...1_073_741_824).contains(maxBodyBytes), "http.max_body_bytes (QUOTAD_MAX_BODY_BYTES) must be 1 KiB…1 GiB (got \(maxBodyBytes))")
        try check((1024...1_073_741_824).contains(maxBatchBodyBytes), "http.max_batch_body_bytes (QUOTAD_MAX_BATCH_BODY_BYTES) must be 1 KiB…1 GiB (got \(maxBatchBodyBytes))")
        try check((1...256).contains(redisPoolSize), "redis.pool_size (QUOTAD_REDIS_POOL_SIZE) must be 1…256 (got \(redisPoolSize))")
        try check((1...600_000).contains(redisTimeoutMilliseconds), "redis.timeout_ms (QUOTAD_REDIS_TIMEOUT_MS) must be 1…600000 (got \(redisTimeoutMilliseconds))")
        try check((1...600_000).contains(redisConnectTimeoutMilliseconds), "redis.connect_timeout_ms (QUOTAD_REDIS_CONNECT_TIMEOUT_MS) must be 1…600000")
        if let port = embeddedRedisPort {
            try check((1...65535).contains(port), "redis.embedded.port (QUOTAD_EMBEDDED_REDIS_PORT) must be 1…65535 (got \(port))")
        }
        try check(!dataDirectory.isEmpty, "redis.embedded.data_dir (QUOTAD_DATA_DIR) must not be empty")
        try check((0...1000).contains(keyCacheMilliseconds), "auth.key_cache_ms (QUOTAD_KEY_CACHE_MS) must be 0…1000 (got \(keyCacheMilliseconds))")
        try check((1...86_400).contains(reservationMaximumTTLSeconds), "reservations.max_ttl_seconds (QUOTAD_RESERVATION_MAX_TTL_SECONDS) must be 1…86400")
        try check((1...reservationMaximumTTLSeconds).contains(reservationDefaultTTLSeconds), "reservations.default_ttl_seconds (QUOTAD_RESERVATION_TTL_SECONDS) must be 1…max_ttl_seconds")
        try check((1...1000).contains(historyCycles), "usage.history_cycles (QUOTAD_HISTORY_CYCLES) must be 1…1000 (got \(historyCycles))")
        try check((60...31_536_000).contains(dedupeTTLSeconds), "usage.dedupe_ttl_seconds (QUOTAD_DEDUPE_TTL_SECONDS) must be 60…31536000")
        try check(eventStreamLength >= 0, "usage.event_stream_length (QUOTAD_EVENT_STREAM_LENGTH) must not be negative")
        try check((0...60_000).contains(quotaCacheMilliseconds), "usage.quota_cache_ms (QUOTAD_QUOTA_CACHE_MS) must be 0…60000")
        try check((50...500).contains(settingsPollMilliseconds), "settings.poll_interval_ms (QUOTAD_SETTINGS_POLL_MS) must be 50…500 (got \(settingsPollMilliseconds))")
        for key in adminKeys {
            try check(key.utf8.count >= 16 && key.utf8.count <= 512, "every admin key (auth.admin_keys / QUOTAD_ADMIN_KEYS) must be 16…512 characters")
            try check(!key.contains(where: { $0 == " " || $0 == "," }), "admin keys must not contain spaces or commas")
        }
    }

    /// A log-safe summary (no keys, no Redis password).
    public var redactedSummary: String {
        let redis = redisURL.map { Self.redactURL($0) } ?? "embedded (data: \(dataDirectory))"
        return "http=\(httpHost):\(httpPort) redis=\(redis) pool=\(redisPoolSize) timeout=\(redisTimeoutMilliseconds)ms "
            + "admin_keys=\(adminKeys.count) pricing=\(pricingFile ?? "bundled") fail_open=\(reservationsFailOpen)"
    }

    static func redactURL(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return "<unparsable URL>" }
        if components.password != nil { components.password = "***" }
        return components.string ?? "<redacted>"
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String { keys.map(\.stringValue).joined(separator: ".") }
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])): missing"
        @unknown default:
            return "\(error)"
        }
    }
}
