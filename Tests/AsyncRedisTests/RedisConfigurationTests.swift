import AsyncRedis
import Testing

@Suite struct RedisConfigurationTests {
    @Test func parsesTCPURLWithCredentialsAndDatabase() throws {
        let configuration = try RedisConfiguration(url: "redis://alice:p%40ss@cache.local:6380/3")
        #expect(configuration.endpoint == .tcp(host: "cache.local", port: 6380))
        #expect(configuration.username == "alice")
        #expect(configuration.password == "p@ss")
        #expect(configuration.database == 3)
    }

    @Test func passwordOnlyAndDefaults() throws {
        let configuration = try RedisConfiguration(url: "redis://:secret@127.0.0.1")
        #expect(configuration.endpoint == .tcp(host: "127.0.0.1", port: 6379))
        #expect(configuration.username == nil)
        #expect(configuration.password == "secret")
        #expect(configuration.database == 0)
    }

    @Test func parsesUnixSocketURL() throws {
        let configuration = try RedisConfiguration(url: "unix:///var/run/redis/redis.sock?db=2")
        #expect(configuration.endpoint == .unix(path: "/var/run/redis/redis.sock"))
        #expect(configuration.database == 2)
    }

    @Test func parsesTLSURL() throws {
        let configuration = try RedisConfiguration(url: "rediss://quotad:p%40ss@cache.example.com:6380/2")
        #expect(configuration.endpoint == .tcp(host: "cache.example.com", port: 6380))
        #expect(configuration.tls == RedisTLSConfiguration())
        #expect(configuration.tls?.insecureSkipVerify == false)
        #expect(configuration.username == "quotad")
        #expect(configuration.password == "p@ss")
        #expect(configuration.database == 2)
        #expect(try RedisConfiguration(url: "redis://host").tls == nil)
    }

    @Test func aTLSSeedTurnsOnTLSForTheCluster() throws {
        #expect(try RedisConfiguration(clusterSeeds: ["rediss://a:7000", "b:7001"]).tls != nil)
        #expect(try RedisConfiguration(clusterSeeds: ["a:7000", "b:7001"]).tls == nil)
    }

    @Test func refusesOtherSchemesAndGarbage() {
        #expect { try RedisConfiguration(url: "http://host") } throws: { ($0 as? RedisError)?.code == .unsupportedScheme }
        #expect { try RedisConfiguration(url: "redis://host:6379/notanumber") } throws: { ($0 as? RedisError)?.code == .invalidURL }
        #expect { try RedisConfiguration(url: "redis://") } throws: { ($0 as? RedisError)?.code == .invalidURL }
    }

    @Test func scriptHashIsSHA1() {
        // SHA1("return 1") as printed by `SCRIPT LOAD "return 1"`.
        #expect(RedisScript("return 1").sha1 == "e0e1f9fabfc9d4800c877a703b823ac0578ff8db")
    }
}
