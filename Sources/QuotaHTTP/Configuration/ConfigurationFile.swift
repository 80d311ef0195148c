/// The shape of `config/quotad.yaml`: every key optional (absent keys keep their defaults).
struct ConfigurationFile: Decodable {
    struct HTTP: Decodable {
        var host: String?
        var port: Int?
        var maxBodyBytes: Int?
        var maxBatchBodyBytes: Int?
        enum CodingKeys: String, CodingKey {
            case host, port
            case maxBodyBytes = "max_body_bytes"
            case maxBatchBodyBytes = "max_batch_body_bytes"
        }
    }
    struct Embedded: Decodable {
        var dataDir: String?
        var port: Int?
        enum CodingKeys: String, CodingKey {
            case dataDir = "data_dir"
            case port
        }
    }
    struct Redis: Decodable {
        var url: String?
        var poolSize: Int?
        var timeoutMs: Int?
        var connectTimeoutMs: Int?
        var embedded: Embedded?
        enum CodingKeys: String, CodingKey {
            case url, embedded
            case poolSize = "pool_size"
            case timeoutMs = "timeout_ms"
            case connectTimeoutMs = "connect_timeout_ms"
        }
    }
    struct Auth: Decodable {
        var adminKeys: [String]?
        var keyCacheMs: Int?
        enum CodingKeys: String, CodingKey {
            case adminKeys = "admin_keys"
            case keyCacheMs = "key_cache_ms"
        }
    }
    struct Pricing: Decodable {
        var file: String?
    }
    struct Reservations: Decodable {
        var failOpen: Bool?
        var defaultTTLSeconds: Int?
        var maxTTLSeconds: Int?
        enum CodingKeys: String, CodingKey {
            case failOpen = "fail_open"
            case defaultTTLSeconds = "default_ttl_seconds"
            case maxTTLSeconds = "max_ttl_seconds"
        }
    }
    struct Usage: Decodable {
        var historyCycles: Int?
        var dedupeTTLSeconds: Int?
        var eventStreamLength: Int?
        var quotaCacheMs: Int?
        enum CodingKeys: String, CodingKey {
            case historyCycles = "history_cycles"
            case dedupeTTLSeconds = "dedupe_ttl_seconds"
            case eventStreamLength = "event_stream_length"
            case quotaCacheMs = "quota_cache_ms"
        }
    }
    struct Settings: Decodable {
        var pollIntervalMs: Int?
        enum CodingKeys: String, CodingKey {
            case pollIntervalMs = "poll_interval_ms"
        }
    }
    struct Logging: Decodable {
        var level: String?
    }

    var http: HTTP?
    var redis: Redis?
    var auth: Auth?
    var pricing: Pricing?
    var reservations: Reservations?
    var usage: Usage?
    var settings: Settings?
    var logging: Logging?
}
