public import Logging
public import TokenQuota

/// Every setting of quotad, resolved from defaults, `config/quotad.yaml` and `QUOTAD_*` environment
/// variables (in increasing precedence). See `config/quotad.yaml` for the documented list.
public struct QuotadConfiguration: Sendable {
    /// `http.host` / `QUOTAD_HTTP_HOST`: the address to listen on.
    public var httpHost = "127.0.0.1"
    /// `http.port` / `QUOTAD_HTTP_PORT`: the TCP port (0: any free port).
    public var httpPort = 8080
    /// `http.max_body_bytes` / `QUOTAD_MAX_BODY_BYTES`: the largest request body (413 above).
    public var maxBodyBytes = 1_048_576
    /// `http.max_batch_body_bytes` / `QUOTAD_MAX_BATCH_BODY_BYTES`: the largest batch body.
    public var maxBatchBodyBytes = 16 * 1_048_576
    /// `redis.url` / `QUOTAD_REDIS_URL`: an external Redis; nil runs an embedded `redis-server`.
    public var redisURL: String?
    /// `redis.mode` / `QUOTAD_REDIS_MODE` (`standalone` | `cluster` | `sentinel`): the Redis deployment.
    public var redisMode: RedisTopology = .standalone
    /// `redis.nodes` / `QUOTAD_REDIS_NODES` (comma-separated `host:port`): cluster mode's seed nodes.
    public var redisNodes: [String] = []
    /// `redis.sentinels` / `QUOTAD_REDIS_SENTINELS` (comma-separated `host:port`): sentinel mode's sentinels.
    public var redisSentinels: [String] = []
    /// `redis.sentinel_master` / `QUOTAD_REDIS_SENTINEL_MASTER`: the master name the sentinels monitor.
    public var redisSentinelMaster: String?
    /// `redis.username` / `QUOTAD_REDIS_USERNAME`: cluster and sentinel modes: the ACL user of the data nodes
    /// (standalone mode takes credentials in `redis.url`).
    public var redisUsername: String?
    /// `redis.password` / `QUOTAD_REDIS_PASSWORD`: cluster and sentinel modes: the data nodes' password.
    public var redisPassword: String?
    /// `redis.sentinel_username` / `QUOTAD_REDIS_SENTINEL_USERNAME`: sentinel mode: the sentinels' ACL user.
    public var redisSentinelUsername: String?
    /// `redis.sentinel_password` / `QUOTAD_REDIS_SENTINEL_PASSWORD`: sentinel mode: the sentinels' password
    /// (their `requirepass`).
    public var redisSentinelPassword: String?
    /// `redis.password_file` / `QUOTAD_REDIS_PASSWORD_FILE`: a file holding the data nodes' password (a mounted
    /// secret), read at start with its trailing newline trimmed; in standalone mode it is the password of
    /// `redis.url`'s user. Not together with `redis.password` or a password in `redis.url`.
    public var redisPasswordFile: String?
    /// `redis.sentinel_password_file` / `QUOTAD_REDIS_SENTINEL_PASSWORD_FILE`: sentinel mode: a file holding
    /// the sentinels' password. Not together with `redis.sentinel_password`.
    public var redisSentinelPasswordFile: String?
    /// `redis.tls.enabled` / `QUOTAD_REDIS_TLS_ENABLED`: TLS to every Redis connection; also on when `redis.url`
    /// or a `redis.nodes` entry is `rediss://` (the way to ask for it in sentinel mode, or with bare node addresses).
    public var redisTLSEnabled = false
    /// `redis.tls.ca_file` / `QUOTAD_REDIS_TLS_CA_FILE`: PEM certificate authorities to verify the server
    /// against, instead of the system trust store.
    public var redisTLSCAFile: String?
    /// `redis.tls.cert_file` / `QUOTAD_REDIS_TLS_CERT_FILE`: PEM client certificate for mutual TLS.
    public var redisTLSCertificateFile: String?
    /// `redis.tls.key_file` / `QUOTAD_REDIS_TLS_KEY_FILE`: PEM private key of the client certificate.
    public var redisTLSKeyFile: String?
    /// `redis.tls.insecure_skip_verify` / `QUOTAD_REDIS_TLS_INSECURE_SKIP_VERIFY`: skip the server certificate
    /// and name checks (development only; warned about at every start).
    public var redisTLSInsecureSkipVerify = false
    /// `redis.min_replicas_ack` / `QUOTAD_REDIS_MIN_REPLICAS_ACK` (0…16): replicas that must acknowledge a
    /// write (`WAIT`) before quotad answers it; fewer within the timeout → 503 `outcome_unknown`. 0: no `WAIT`.
    public var redisMinimumReplicaAcknowledgements = 0
    /// `redis.replica_ack_timeout_ms` / `QUOTAD_REDIS_REPLICA_ACK_TIMEOUT_MS` (1…60000): how long a write
    /// waits for the replicas' acknowledgements.
    public var redisReplicaAcknowledgementTimeoutMilliseconds = 500
    /// `redis.pool_size` / `QUOTAD_REDIS_POOL_SIZE`: connections to Redis.
    public var redisPoolSize = 4
    /// `redis.timeout_ms` / `QUOTAD_REDIS_TIMEOUT_MS`: the longest wait for a Redis reply.
    public var redisTimeoutMilliseconds = 2000
    /// `redis.connect_timeout_ms` / `QUOTAD_REDIS_CONNECT_TIMEOUT_MS`: the longest connection attempt.
    public var redisConnectTimeoutMilliseconds = 2000
    /// `redis.embedded.data_dir` / `QUOTAD_DATA_DIR`: the embedded Redis' data directory.
    public var dataDirectory = "./data"
    /// `redis.embedded.port` / `QUOTAD_EMBEDDED_REDIS_PORT`: the embedded Redis' loopback port (nil: free).
    public var embeddedRedisPort: Int?
    /// `auth.admin_keys` / `QUOTAD_ADMIN_KEYS` (comma-separated): admin API keys.
    public var adminKeys: [String] = []
    /// `auth.key_cache_ms` / `QUOTAD_KEY_CACHE_MS`: positive tenant-key lookup cache (0…1000 ms).
    public var keyCacheMilliseconds = 1000
    /// `pricing.file` / `QUOTAD_PRICING_FILE`: a price file merged over the bundled prices.
    public var pricingFile: String?
    /// `reservations.fail_open` / `QUOTAD_RESERVATIONS_FAIL_OPEN`: grant reservations when Redis is down.
    public var reservationsFailOpen = false
    /// `reservations.default_ttl_seconds` / `QUOTAD_RESERVATION_TTL_SECONDS`.
    public var reservationDefaultTTLSeconds = 300
    /// `reservations.default_output_tokens` / `QUOTAD_RESERVATION_DEFAULT_OUTPUT_TOKENS`: the output a
    /// reservation holds when it names no output limit (`max_tokens`, `max_completion_tokens`,
    /// `max_output_tokens`) and the price list gives the model no `max_output_tokens`.
    public var reservationDefaultOutputTokens = 16_384
    /// `reservations.max_ttl_seconds` / `QUOTAD_RESERVATION_MAX_TTL_SECONDS`.
    public var reservationMaximumTTLSeconds = 3600
    /// `reservations.max_active_per_user`: the most active reservations one user may hold (then 429
    /// `too_many_reservations`).
    public var reservationMaximumActivePerUser = 1000
    /// `usage.history_cycles` / `QUOTAD_HISTORY_CYCLES`: past cycles of totals kept.
    public var historyCycles = 12
    /// `usage.dedupe_ttl_seconds` / `QUOTAD_DEDUPE_TTL_SECONDS`: how long event ids are remembered.
    public var dedupeTTLSeconds = 7 * 24 * 3600
    /// `usage.event_stream_length` / `QUOTAD_EVENT_STREAM_LENGTH`: retired — the per-user audit stream it
    /// sized is gone (every recorded event is in the tenant's event stream, `GET …/events`); a value other
    /// than 0 has no effect and is warned about at start (``retiredSettingWarnings``).
    public var eventStreamLength = 0

    /// Warnings for settings that are accepted but no longer do anything.
    public var retiredSettingWarnings: [String] {
        eventStreamLength == 0 ? [] : [
            "usage.event_stream_length (QUOTAD_EVENT_STREAM_LENGTH) no longer has an effect: the per-user audit stream was removed; "
                + "every recorded event is in the tenant's event stream (GET /v1/tenants/{tenant}/events)",
        ]
    }
    /// `usage.quota_cache_ms` / `QUOTAD_QUOTA_CACHE_MS`: in-process quota configuration cache.
    public var quotaCacheMilliseconds = 60_000
    /// `settings.poll_interval_ms` / `QUOTAD_SETTINGS_POLL_MS`: settings refresh interval (50…500 ms).
    public var settingsPollMilliseconds = 500
    /// `logging.level` / `QUOTAD_LOG_LEVEL`: trace, debug, info, notice, warning, error, critical.
    public var logLevel: Logger.Level = .info
    /// `http.read_timeout_ms` / `QUOTAD_HTTP_READ_TIMEOUT_MS` (100…600000): longest time a client may take
    /// to send a whole request (headers and body) once it started; then the connection is closed (a lying
    /// `Content-Length` cannot hold it open).
    public var httpReadTimeoutMilliseconds = 30_000
    /// `http.idle_timeout_ms` / `QUOTAD_HTTP_IDLE_TIMEOUT_MS` (100…3600000): how long an idle keep-alive
    /// connection stays open.
    public var httpIdleTimeoutMilliseconds = 60_000
    /// `http.event_loops` / `QUOTAD_EVENT_LOOPS` (0…1024): the event loop threads that serve HTTP and talk to
    /// Redis (each request is handled on one of them from start to end); 0 picks ``effectiveEventLoops(cores:)``.
    public var eventLoops = 0
    /// `pricing.unpriced_models` / `QUOTAD_PRICING_UNPRICED_MODELS` (`reject` | `allow`): what to do with
    /// usage of a model without a price when a cost limit applies.
    public var unpricedModels: UnpricedModelPolicy = .reject

    /// `usage.history_days` / `QUOTAD_HISTORY_DAYS`: days of per-day usage buckets kept (1…3660).
    public var historyDays = 400
    /// `events.retention_hours` / `QUOTAD_EVENTS_RETENTION_HOURS`: how long recorded events stay readable in
    /// each tenant's event stream (`GET …/events`, the export's source), 1…8784 hours.
    public var eventsRetentionHours = 168
    /// `export.max_backlog` / `QUOTAD_EXPORT_MAX_BACKLOG`: the most events a tenant's event stream holds;
    /// beyond it the oldest are trimmed (an exporter that fell that far behind counts them as dropped).
    public var exportMaxBacklog = 200_000
    /// `export.influxdb.url` / `QUOTAD_EXPORT_INFLUXDB_URL`: InfluxDB's base URL; nil = no export.
    public var influxURL: String?
    /// `export.influxdb.database` / `QUOTAD_EXPORT_INFLUXDB_DATABASE`: InfluxDB 1.x database (`/write`).
    public var influxDatabase: String?
    /// `export.influxdb.retention_policy` / `QUOTAD_EXPORT_INFLUXDB_RETENTION_POLICY`: InfluxDB 1.x `rp`.
    public var influxRetentionPolicy: String?
    /// `export.influxdb.org` / `QUOTAD_EXPORT_INFLUXDB_ORG`: InfluxDB 2.x organisation (`/api/v2/write`).
    public var influxOrg: String?
    /// `export.influxdb.bucket` / `QUOTAD_EXPORT_INFLUXDB_BUCKET`: InfluxDB 2.x bucket.
    public var influxBucket: String?
    /// `export.influxdb.token` / `QUOTAD_EXPORT_INFLUXDB_TOKEN`: InfluxDB 2.x API token (prefer the env var).
    public var influxToken: String?
    /// `export.influxdb.measurement` / `QUOTAD_EXPORT_INFLUXDB_MEASUREMENT`: the measurement name.
    public var influxMeasurement = "llm_usage"
    /// `export.influxdb.batch_size` / `QUOTAD_EXPORT_INFLUXDB_BATCH_SIZE`: points per write (1…10000).
    public var influxBatchSize = 500
    /// `export.influxdb.flush_interval_ms` / `QUOTAD_EXPORT_INFLUXDB_FLUSH_INTERVAL_MS`: longest wait before
    /// a partial batch is written (10…60000 ms).
    public var influxFlushIntervalMilliseconds = 1000
    /// `webhooks.timeout_ms` / `QUOTAD_WEBHOOKS_TIMEOUT_MS`: a delivery attempt's timeout (100…60000 ms).
    public var webhookTimeoutMilliseconds = 5000
    /// `webhooks.max_retry_seconds` / `QUOTAD_WEBHOOKS_MAX_RETRY_SECONDS`: how long a delivery is retried
    /// before it is dead-lettered (1…604800 s).
    public var webhookMaximumRetrySeconds = 86_400
    /// `webhooks.initial_backoff_ms` / `QUOTAD_WEBHOOKS_INITIAL_BACKOFF_MS`: the first retry's delay; it
    /// doubles per attempt (with jitter) up to `webhooks.max_backoff_ms`.
    public var webhookInitialBackoffMilliseconds = 1000
    /// `webhooks.max_backoff_ms` / `QUOTAD_WEBHOOKS_MAX_BACKOFF_MS`: the longest delay between attempts.
    public var webhookMaximumBackoffMilliseconds = 300_000
    /// `webhooks.poll_interval_ms` / `QUOTAD_WEBHOOKS_POLL_INTERVAL_MS`: how often new alerts and due
    /// deliveries are looked for (10…10000 ms).
    public var webhookPollMilliseconds = 250
    /// `webhooks.allow_private_targets` / `QUOTAD_WEBHOOKS_ALLOW_PRIVATE_TARGETS`: accept webhook URLs on
    /// loopback and private networks (off: only public addresses, against SSRF).
    public var webhookAllowPrivateTargets = false

    /// `gateway.enabled` / `QUOTAD_GATEWAY_ENABLED`: serve the OpenAI- and Anthropic-compatible gateway.
    public var gatewayEnabled = false
    /// `gateway.prefix` / `QUOTAD_GATEWAY_PREFIX`: where the gateway's routes are mounted.
    public var gatewayPrefix = "/gateway"
    /// `gateway.providers.openai.base_url` / `QUOTAD_GATEWAY_OPENAI_BASE_URL`: OpenAI's API, as its SDK's `base_url`.
    public var gatewayOpenAIBaseURL = "https://api.openai.com/v1"
    /// `gateway.providers.openai.api_key` / `QUOTAD_GATEWAY_OPENAI_API_KEY`: the key sent to OpenAI.
    public var gatewayOpenAIAPIKey: String?
    /// `gateway.providers.openai.api_key_file` / `QUOTAD_GATEWAY_OPENAI_API_KEY_FILE`: a file holding it.
    public var gatewayOpenAIAPIKeyFile: String?
    /// `gateway.providers.anthropic.base_url` / `QUOTAD_GATEWAY_ANTHROPIC_BASE_URL`: Anthropic's API, as its SDK's `base_url`.
    public var gatewayAnthropicBaseURL = "https://api.anthropic.com"
    /// `gateway.providers.anthropic.api_key` / `QUOTAD_GATEWAY_ANTHROPIC_API_KEY`: the key sent to Anthropic.
    public var gatewayAnthropicAPIKey: String?
    /// `gateway.providers.anthropic.api_key_file` / `QUOTAD_GATEWAY_ANTHROPIC_API_KEY_FILE`: a file holding it.
    public var gatewayAnthropicAPIKeyFile: String?
    /// `gateway.upstream_timeout_ms` / `QUOTAD_GATEWAY_UPSTREAM_TIMEOUT_MS` (100…3600000): the longest an
    /// upstream call may take, its stream included.
    public var gatewayUpstreamTimeoutMilliseconds = 600_000

    /// The defaults.
    public init() {}
}
