import Logging

extension ConfigurationKey {
    /// Every setting, in the order of `config/quotad.yaml`'s table. Keep the two in step.
    ///
    /// A computed list (not a stored global) because key paths and closures are not `Sendable`.
    static var all: [ConfigurationKey] {
        [
            .init(path: "http.host", environmentVariable: "QUOTAD_HTTP_HOST", kind: .text(\.httpHost)),
            .init(path: "http.port", environmentVariable: "QUOTAD_HTTP_PORT", kind: .integer(\.httpPort, 0...65535)),
            .init(path: "http.max_body_bytes", environmentVariable: "QUOTAD_MAX_BODY_BYTES",
                  kind: .integer(\.maxBodyBytes, 1024...1_073_741_824)),
            .init(path: "http.max_batch_body_bytes", environmentVariable: "QUOTAD_MAX_BATCH_BODY_BYTES",
                  kind: .integer(\.maxBatchBodyBytes, 1024...1_073_741_824)),
            .init(path: "http.read_timeout_ms", environmentVariable: "QUOTAD_HTTP_READ_TIMEOUT_MS",
                  kind: .integer(\.httpReadTimeoutMilliseconds, 100...600_000)),
            .init(path: "http.idle_timeout_ms", environmentVariable: "QUOTAD_HTTP_IDLE_TIMEOUT_MS",
                  kind: .integer(\.httpIdleTimeoutMilliseconds, 100...3_600_000)),
            .init(path: "redis.url", environmentVariable: "QUOTAD_REDIS_URL", kind: .optionalText(\.redisURL)),
            .init(path: "redis.mode", environmentVariable: "QUOTAD_REDIS_MODE",
                  kind: .choice(RedisTopology.allCases.map(\.rawValue)) { configuration, word in
                      if let mode = RedisTopology(rawValue: word) { configuration.redisMode = mode }
                  }),
            .init(path: "redis.nodes", environmentVariable: "QUOTAD_REDIS_NODES", kind: .list(\.redisNodes)),
            .init(path: "redis.sentinels", environmentVariable: "QUOTAD_REDIS_SENTINELS", kind: .list(\.redisSentinels)),
            .init(path: "redis.sentinel_master", environmentVariable: "QUOTAD_REDIS_SENTINEL_MASTER",
                  kind: .optionalText(\.redisSentinelMaster)),
            .init(path: "redis.pool_size", environmentVariable: "QUOTAD_REDIS_POOL_SIZE", kind: .integer(\.redisPoolSize, 1...256)),
            .init(path: "redis.timeout_ms", environmentVariable: "QUOTAD_REDIS_TIMEOUT_MS",
                  kind: .integer(\.redisTimeoutMilliseconds, 1...600_000)),
            .init(path: "redis.connect_timeout_ms", environmentVariable: "QUOTAD_REDIS_CONNECT_TIMEOUT_MS",
                  kind: .integer(\.redisConnectTimeoutMilliseconds, 1...600_000)),
            .init(path: "redis.min_replicas_ack", environmentVariable: "QUOTAD_REDIS_MIN_REPLICAS_ACK",
                  kind: .integer(\.redisMinimumReplicaAcknowledgements, 0...16)),
            .init(path: "redis.replica_ack_timeout_ms", environmentVariable: "QUOTAD_REDIS_REPLICA_ACK_TIMEOUT_MS",
                  kind: .integer(\.redisReplicaAcknowledgementTimeoutMilliseconds, 1...60_000)),
            .init(path: "redis.embedded.data_dir", environmentVariable: "QUOTAD_DATA_DIR", kind: .text(\.dataDirectory)),
            .init(path: "redis.embedded.port", environmentVariable: "QUOTAD_EMBEDDED_REDIS_PORT", kind: .optionalPort(\.embeddedRedisPort)),
            .init(path: "auth.admin_keys", environmentVariable: "QUOTAD_ADMIN_KEYS", kind: .list(\.adminKeys)),
            .init(path: "auth.key_cache_ms", environmentVariable: "QUOTAD_KEY_CACHE_MS", kind: .integer(\.keyCacheMilliseconds, 0...1000)),
            .init(path: "pricing.file", environmentVariable: "QUOTAD_PRICING_FILE", kind: .optionalText(\.pricingFile)),
            .init(path: "pricing.unpriced_models", environmentVariable: "QUOTAD_PRICING_UNPRICED_MODELS",
                  kind: .choice(UnpricedModelPolicy.allCases.map(\.rawValue)) { configuration, word in
                      if let policy = UnpricedModelPolicy(rawValue: word) { configuration.unpricedModels = policy }
                  }),
            .init(path: "reservations.fail_open", environmentVariable: "QUOTAD_RESERVATIONS_FAIL_OPEN",
                  kind: .boolean(\.reservationsFailOpen)),
            .init(path: "reservations.default_ttl_seconds", environmentVariable: "QUOTAD_RESERVATION_TTL_SECONDS",
                  kind: .integer(\.reservationDefaultTTLSeconds, 1...86_400)),
            .init(path: "reservations.max_ttl_seconds", environmentVariable: "QUOTAD_RESERVATION_MAX_TTL_SECONDS",
                  kind: .integer(\.reservationMaximumTTLSeconds, 1...86_400)),
            .init(path: "reservations.max_active_per_user", environmentVariable: "QUOTAD_RESERVATIONS_MAX_ACTIVE_PER_USER",
                  kind: .integer(\.reservationMaximumActivePerUser, 1...100_000)),
            .init(path: "usage.history_cycles", environmentVariable: "QUOTAD_HISTORY_CYCLES", kind: .integer(\.historyCycles, 1...1000)),
            .init(path: "usage.dedupe_ttl_seconds", environmentVariable: "QUOTAD_DEDUPE_TTL_SECONDS",
                  kind: .integer(\.dedupeTTLSeconds, 60...31_536_000)),
            .init(path: "usage.event_stream_length", environmentVariable: "QUOTAD_EVENT_STREAM_LENGTH",
                  kind: .integer(\.eventStreamLength, 0...Int.max)),
            .init(path: "usage.quota_cache_ms", environmentVariable: "QUOTAD_QUOTA_CACHE_MS",
                  kind: .integer(\.quotaCacheMilliseconds, 0...60_000)),
            .init(path: "usage.history_days", environmentVariable: "QUOTAD_HISTORY_DAYS", kind: .integer(\.historyDays, 1...3660)),
            .init(path: "events.retention_hours", environmentVariable: "QUOTAD_EVENTS_RETENTION_HOURS",
                  kind: .integer(\.eventsRetentionHours, 1...8784)),
            .init(path: "export.max_backlog", environmentVariable: "QUOTAD_EXPORT_MAX_BACKLOG",
                  kind: .integer(\.exportMaxBacklog, 1000...100_000_000)),
            .init(path: "export.influxdb.url", environmentVariable: "QUOTAD_EXPORT_INFLUXDB_URL", kind: .optionalText(\.influxURL)),
            .init(path: "export.influxdb.database", environmentVariable: "QUOTAD_EXPORT_INFLUXDB_DATABASE",
                  kind: .optionalText(\.influxDatabase)),
            .init(path: "export.influxdb.retention_policy", environmentVariable: "QUOTAD_EXPORT_INFLUXDB_RETENTION_POLICY",
                  kind: .optionalText(\.influxRetentionPolicy)),
            .init(path: "export.influxdb.org", environmentVariable: "QUOTAD_EXPORT_INFLUXDB_ORG", kind: .optionalText(\.influxOrg)),
            .init(path: "export.influxdb.bucket", environmentVariable: "QUOTAD_EXPORT_INFLUXDB_BUCKET", kind: .optionalText(\.influxBucket)),
            .init(path: "export.influxdb.token", environmentVariable: "QUOTAD_EXPORT_INFLUXDB_TOKEN", kind: .optionalText(\.influxToken)),
            .init(path: "export.influxdb.measurement", environmentVariable: "QUOTAD_EXPORT_INFLUXDB_MEASUREMENT",
                  kind: .text(\.influxMeasurement)),
            .init(path: "export.influxdb.batch_size", environmentVariable: "QUOTAD_EXPORT_INFLUXDB_BATCH_SIZE",
                  kind: .integer(\.influxBatchSize, 1...10_000)),
            .init(path: "export.influxdb.flush_interval_ms", environmentVariable: "QUOTAD_EXPORT_INFLUXDB_FLUSH_INTERVAL_MS",
                  kind: .integer(\.influxFlushIntervalMilliseconds, 10...60_000)),
            .init(path: "webhooks.timeout_ms", environmentVariable: "QUOTAD_WEBHOOKS_TIMEOUT_MS",
                  kind: .integer(\.webhookTimeoutMilliseconds, 100...60_000)),
            .init(path: "webhooks.max_retry_seconds", environmentVariable: "QUOTAD_WEBHOOKS_MAX_RETRY_SECONDS",
                  kind: .integer(\.webhookMaximumRetrySeconds, 1...604_800)),
            .init(path: "webhooks.initial_backoff_ms", environmentVariable: "QUOTAD_WEBHOOKS_INITIAL_BACKOFF_MS",
                  kind: .integer(\.webhookInitialBackoffMilliseconds, 10...600_000)),
            .init(path: "webhooks.max_backoff_ms", environmentVariable: "QUOTAD_WEBHOOKS_MAX_BACKOFF_MS",
                  kind: .integer(\.webhookMaximumBackoffMilliseconds, 10...86_400_000)),
            .init(path: "webhooks.poll_interval_ms", environmentVariable: "QUOTAD_WEBHOOKS_POLL_INTERVAL_MS",
                  kind: .integer(\.webhookPollMilliseconds, 10...10_000)),
            .init(path: "webhooks.allow_private_targets", environmentVariable: "QUOTAD_WEBHOOKS_ALLOW_PRIVATE_TARGETS",
                  kind: .boolean(\.webhookAllowPrivateTargets)),
            .init(path: "settings.poll_interval_ms", environmentVariable: "QUOTAD_SETTINGS_POLL_MS",
                  kind: .integer(\.settingsPollMilliseconds, 50...500)),
            .init(path: "logging.level", environmentVariable: "QUOTAD_LOG_LEVEL",
                  kind: .choice(Logger.Level.allCases.map(\.rawValue)) { configuration, word in
                      if let level = Logger.Level(rawValue: word) { configuration.logLevel = level }
                  }),
        ]
    }

    /// Environment variables quotad reads besides the settings' own (not errors, not near misses).
    static let otherEnvironmentVariables = ["QUOTAD_CONFIG"]
}
