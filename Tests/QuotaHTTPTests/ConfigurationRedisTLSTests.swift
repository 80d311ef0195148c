import AsyncRedis
import Foundation
@testable import QuotadServer
import Testing

/// `redis.tls.*` and the password files: read from the environment and YAML, and the combinations that
/// cannot work refused with messages naming the key. No Redis needed.
@Suite("Configuration: Redis TLS and password files")
struct ConfigurationRedisTLSTests {
    private func load(_ environment: [String: String]) throws -> QuotadConfiguration {
        var configuration = QuotadConfiguration()
        try configuration.apply(environment: environment)
        try configuration.validate()
        return configuration
    }

    private func refusal(_ environment: [String: String], sourceLocation: SourceLocation = #_sourceLocation) -> ConfigurationError? {
        #expect(throws: ConfigurationError.self, sourceLocation: sourceLocation) { _ = try load(environment) }
    }

    @Test func aTLSURLTurnsOnVerifiedTLSWithTheSettings() throws {
        let configuration = try load([
            "QUOTAD_REDIS_URL": "rediss://quotad:secret@cache.example.com:6380/0",
            "QUOTAD_REDIS_TLS_CA_FILE": "/etc/quotad/ca.pem",
            "QUOTAD_REDIS_TLS_CERT_FILE": "/etc/quotad/client.pem", "QUOTAD_REDIS_TLS_KEY_FILE": "/etc/quotad/client.key",
        ])
        #expect(configuration.redisUsesTLS)
        let tls = try #require(configuration.redisTLSConfiguration)
        #expect(tls.caFile == "/etc/quotad/ca.pem")
        #expect(tls.certificateFile == "/etc/quotad/client.pem")
        #expect(tls.keyFile == "/etc/quotad/client.key")
        #expect(!tls.insecureSkipVerify)
        #expect(configuration.redactedSummary.contains("redis=rediss://quotad:***@cache.example.com:6380/0"))
        #expect(configuration.redactedSummary.contains("redis_tls=verified(ca_file)+client-cert"))
        #expect(!configuration.redactedSummary.contains("secret"))
    }

    @Test func tlsIsReadFromYAMLForSentinelMode() throws {
        var configuration = QuotadConfiguration()
        try configuration.apply(
            yaml: "redis:\n  mode: sentinel\n  sentinels: [\"127.0.0.1:26379\"]\n  sentinel_master: quotad\n"
                + "  tls:\n    enabled: true\n    insecure_skip_verify: true\n",
            source: "test.yaml"
        )
        try configuration.validate()
        #expect(configuration.redisTLSConfiguration?.insecureSkipVerify == true)
        #expect(configuration.redactedSummary.contains("redis_tls=INSECURE"))
    }

    @Test func tlsSettingsWithoutTLSAreRefused() {
        let plain = refusal(["QUOTAD_REDIS_URL": "redis://127.0.0.1:6379", "QUOTAD_REDIS_TLS_CA_FILE": "/ca.pem"])
        #expect(plain?.message.contains("redis.tls.ca_file is set but Redis is reached without TLS") == true, "\(plain?.message ?? "")")
        let embedded = refusal(["QUOTAD_REDIS_TLS_INSECURE_SKIP_VERIFY": "true"])
        #expect(embedded?.message.contains("no redis.url") == true)
        let mixed = refusal(["QUOTAD_REDIS_URL": "redis://127.0.0.1:6379", "QUOTAD_REDIS_TLS_ENABLED": "true"])
        #expect(mixed?.message.contains("write it as rediss://") == true)
        let halfPair = refusal(["QUOTAD_REDIS_URL": "rediss://cache:6380", "QUOTAD_REDIS_TLS_CERT_FILE": "/client.pem"])
        #expect(halfPair?.key == "redis.tls.key_file")
    }

    @Test func passwordAndPasswordFileAreRefusedTogether() {
        let both = refusal([
            "QUOTAD_REDIS_MODE": "cluster", "QUOTAD_REDIS_NODES": "127.0.0.1:7000",
            "QUOTAD_REDIS_PASSWORD": "x", "QUOTAD_REDIS_PASSWORD_FILE": "/run/secrets/redis",
        ])
        #expect(both?.message.contains("both set") == true)
        let inURL = refusal(["QUOTAD_REDIS_URL": "redis://:x@127.0.0.1:6379", "QUOTAD_REDIS_PASSWORD_FILE": "/run/secrets/redis"])
        #expect(inURL?.message.contains("redis.url has a password too (redis://:***@127.0.0.1:6379)") == true, "\(inURL?.message ?? "")")
        let sentinelFileElsewhere = refusal(["QUOTAD_REDIS_URL": "redis://127.0.0.1:6379", "QUOTAD_REDIS_SENTINEL_PASSWORD_FILE": "/s"])
        #expect(sentinelFileElsewhere?.key == "redis.sentinel_password_file")
    }

    @Test func passwordFileIsReadWithItsNewlineTrimmed() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("quotad-secret-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "s3cret pass\n".write(toFile: path, atomically: true, encoding: .utf8)
        let configuration = try load(["QUOTAD_REDIS_URL": "redis://quotad@127.0.0.1:6379", "QUOTAD_REDIS_PASSWORD_FILE": path])
        #expect(try configuration.resolvedRedisPassword() == "s3cret pass")
        #expect(configuration.redisURLUsername == "quotad")
        try "\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect { try configuration.resolvedRedisPassword() } throws: { "\($0)".contains("is empty") }
        try? FileManager.default.removeItem(atPath: path)
        #expect { try configuration.resolvedRedisPassword() } throws: { "\($0)".contains("cannot read") }
    }
}
