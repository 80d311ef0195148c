@testable import QuotaHTTP
@testable import QuotadServer
import Testing

/// `redis.mode` and its companions (`redis.nodes`, `redis.sentinels`, `redis.sentinel_master`,
/// `redis.min_replicas_ack`, `redis.replica_ack_timeout_ms`): read from YAML and the environment, and the
/// rules between them refused with messages naming the key to set. No Redis needed.
@Suite("Configuration: Redis modes")
struct ConfigurationRedisModeTests {
    /// Applies environment variables to the defaults, validates, and returns the error thrown.
    private func loadError(_ environment: [String: String], sourceLocation: SourceLocation = #_sourceLocation) -> ConfigurationError? {
        #expect(throws: ConfigurationError.self, sourceLocation: sourceLocation) {
            _ = try load(environment)
        }
    }

    private func load(_ environment: [String: String]) throws -> QuotadConfiguration {
        var configuration = QuotadConfiguration()
        try configuration.apply(environment: environment)
        try configuration.validate()
        return configuration
    }

    @Test func clusterModeIsReadFromTheEnvironment() throws {
        let configuration = try load([
            "QUOTAD_REDIS_MODE": "Cluster", "QUOTAD_REDIS_NODES": "127.0.0.1:7000, 127.0.0.1:7001,",
            "QUOTAD_REDIS_MIN_REPLICAS_ACK": "1", "QUOTAD_REDIS_REPLICA_ACK_TIMEOUT_MS": "250",
        ])
        #expect(configuration.redisMode == .cluster)
        #expect(configuration.redisNodes == ["127.0.0.1:7000", "127.0.0.1:7001"])
        #expect(configuration.redisMinimumReplicaAcknowledgements == 1)
        #expect(configuration.redisReplicaAcknowledgementTimeoutMilliseconds == 250)
        #expect(configuration.redactedSummary.contains("redis=cluster(127.0.0.1:7000,127.0.0.1:7001) min_replicas_ack=1"))
    }

    @Test func sentinelModeIsReadFromYAML() throws {
        var configuration = QuotadConfiguration()
        try configuration.apply(
            yaml: "redis:\n  mode: sentinel\n  sentinels: [\"127.0.0.1:26379\", \"127.0.0.1:26380\"]\n  sentinel_master: quotad\n", source: "test.yaml"
        )
        try configuration.validate()
        #expect(configuration.redisMode == .sentinel)
        #expect(configuration.redisSentinels == ["127.0.0.1:26379", "127.0.0.1:26380"])
        #expect(configuration.redisSentinelMaster == "quotad")
        #expect(configuration.redisPassword == nil && configuration.redisSentinelPassword == nil)
    }

    @Test func sentinelCredentialsAreReadAndKeptOutOfTheSummary() throws {
        let configuration = try load([
            "QUOTAD_REDIS_MODE": "sentinel", "QUOTAD_REDIS_SENTINELS": "127.0.0.1:26379", "QUOTAD_REDIS_SENTINEL_MASTER": "quotad",
            "QUOTAD_REDIS_USERNAME": "app", "QUOTAD_REDIS_PASSWORD": "primary-secret",
            "QUOTAD_REDIS_SENTINEL_USERNAME": "watcher", "QUOTAD_REDIS_SENTINEL_PASSWORD": "sentinel-secret",
        ])
        #expect(configuration.redisUsername == "app")
        #expect(configuration.redisPassword == "primary-secret")
        #expect(configuration.redisSentinelUsername == "watcher")
        #expect(configuration.redisSentinelPassword == "sentinel-secret")
        #expect(!configuration.redactedSummary.contains("secret"))
        let cluster = try load(["QUOTAD_REDIS_MODE": "cluster", "QUOTAD_REDIS_NODES": "127.0.0.1:7000", "QUOTAD_REDIS_PASSWORD": "pw"])
        #expect(cluster.redisPassword == "pw")
    }

    @Test func defaultsAreStandaloneWithoutAcknowledgements() throws {
        let configuration = try load([:])
        #expect(configuration.redisMode == .standalone)
        #expect(configuration.redisMinimumReplicaAcknowledgements == 0)
        #expect(configuration.redisReplicaAcknowledgementTimeoutMilliseconds == 500)
    }

    @Test func unknownModeListsTheModes() {
        let error = loadError(["QUOTAD_REDIS_MODE": "ring"])
        #expect(error?.message == "QUOTAD_REDIS_MODE (redis.mode) must be one of standalone, cluster, sentinel (got 'ring')")
    }

    @Test(arguments: [
        (["QUOTAD_REDIS_MODE": "cluster"], "redis.nodes", "redis.nodes (QUOTAD_REDIS_NODES) is empty"),
        (["QUOTAD_REDIS_MODE": "cluster", "QUOTAD_REDIS_NODES": "127.0.0.1:notaport"], "redis.nodes", "is not host:port"),
        (["QUOTAD_REDIS_MODE": "cluster", "QUOTAD_REDIS_NODES": "127.0.0.1:7000", "QUOTAD_REDIS_URL": "redis://127.0.0.1:6379"],
         "redis.url", "redis.url (QUOTAD_REDIS_URL) is for standalone mode only"),
        (["QUOTAD_REDIS_MODE": "sentinel", "QUOTAD_REDIS_SENTINEL_MASTER": "quotad"], "redis.sentinels", "redis.sentinels (QUOTAD_REDIS_SENTINELS) is empty"),
        (["QUOTAD_REDIS_MODE": "sentinel", "QUOTAD_REDIS_SENTINELS": "127.0.0.1:26379"], "redis.sentinel_master",
         "redis.sentinel_master (QUOTAD_REDIS_SENTINEL_MASTER) is empty"),
        (["QUOTAD_REDIS_NODES": "127.0.0.1:7000", "QUOTAD_REDIS_URL": "redis://127.0.0.1:6379"], "redis.nodes", "set redis.mode to cluster"),
        (["QUOTAD_REDIS_SENTINEL_MASTER": "quotad", "QUOTAD_REDIS_URL": "redis://127.0.0.1:6379"], "redis.sentinel_master",
         "set redis.mode to sentinel"),
        (["QUOTAD_REDIS_MIN_REPLICAS_ACK": "1"], "redis.min_replicas_ack", "the embedded Redis (no redis.url) has no replica"),
        (["QUOTAD_REDIS_URL": "redis://127.0.0.1:6379", "QUOTAD_REDIS_PASSWORD": "pw"], "redis.password",
         "standalone mode takes credentials in redis.url"),
        (["QUOTAD_REDIS_USERNAME": "app"], "redis.username", "standalone mode takes credentials in redis.url"),
        (["QUOTAD_REDIS_MODE": "cluster", "QUOTAD_REDIS_NODES": "127.0.0.1:7000", "QUOTAD_REDIS_SENTINEL_PASSWORD": "pw"],
         "redis.sentinel_password", "it authenticates to the sentinels"),
        (["QUOTAD_REDIS_MIN_REPLICAS_ACK": "17"], "redis.min_replicas_ack", "must be 0…16 (got 17)"),
        (["QUOTAD_REDIS_REPLICA_ACK_TIMEOUT_MS": "0"], "redis.replica_ack_timeout_ms", "must be 1…60000 (got 0)"),
    ])
    func inconsistentSettingsAreRefusedNamingTheKey(environment: [String: String], key: String, fragment: String) {
        let error = loadError(environment)
        #expect(error?.key == key || error?.message.contains(key) == true, "\(error?.message ?? "no error")")
        #expect(error?.message.contains(fragment) == true, "\(error?.message ?? "no error")")
    }

    @Test func acknowledgementsWithAnExternalStandaloneRedisAreAccepted() throws {
        let configuration = try load(["QUOTAD_REDIS_URL": "redis://127.0.0.1:6379", "QUOTAD_REDIS_MIN_REPLICAS_ACK": "2"])
        #expect(configuration.redisMinimumReplicaAcknowledgements == 2)
    }
}
