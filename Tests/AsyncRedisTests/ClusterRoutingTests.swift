@testable import AsyncRedis
import Testing

/// Hash slots, key positions, redirection and topology parsing: pure functions, no server.
@Suite struct ClusterRoutingTests {
    @Test func crc16IsXmodem() {
        #expect(ClusterHashSlot.crc16(Array("123456789".utf8)) == 0x31C3)
        #expect(ClusterHashSlot.crc16([UInt8]()) == 0)
    }

    @Test func slotsOfKnownKeys() {
        // Values from the cluster specification and `CLUSTER KEYSLOT`.
        #expect(ClusterHashSlot.slot(of: "foo") == 12182)
        #expect(ClusterHashSlot.slot(of: "bar") == 5061)
        #expect(ClusterHashSlot.slot(of: "hello") == 866)
        #expect(ClusterHashSlot.slot(of: "") == 0)
    }

    @Test func hashTagsFollowTheSpecification() {
        let slot = ClusterHashSlot.slot(of:)
        #expect(slot("{user1000}.following") == slot("{user1000}.followers"))
        #expect(slot("{user1000}.following") == slot("user1000"))
        // Only the first { and the first } after it count.
        #expect(slot("foo{bar}{zap}") == slot("bar"))
        #expect(slot("foo{{bar}}zap") == slot("{bar"))
        // An empty tag, or no closing brace, hashes the whole key.
        #expect(slot("foo{}{bar}") == Int(ClusterHashSlot.crc16(Array("foo{}{bar}".utf8)) & 0x3FFF))
        #expect(slot("foo{bar") == Int(ClusterHashSlot.crc16(Array("foo{bar".utf8)) & 0x3FFF))
        #expect(slot("foo}bar{") == Int(ClusterHashSlot.crc16(Array("foo}bar{".utf8)) & 0x3FFF))
        // Binary keys.
        #expect(ClusterHashSlot.slot(ofBytes: Array("{foo}\u{0}x".utf8)) == 12182)
    }

    @Test func keyPositionsOfTheCommandsQuotadSends() throws {
        let tag = ClusterHashSlot.slot(of: "t1")
        let cases: [RedisCommand] = [
            RedisCommand("GET", "q:{t1}:a"), RedisCommand("SET", "q:{t1}:a", "v", "EX", 5),
            RedisCommand("HGET", "q:{t1}:h", "f"), RedisCommand("EXPIRE", "q:{t1}:a", 10),
            RedisCommand("SADD", "q:{t1}:s", "m"), RedisCommand("SISMEMBER", "q:{t1}:s", "m"),
            RedisCommand("XADD", "q:{t1}:x", "*", "f", "v"), RedisCommand("XRANGE", "q:{t1}:x", "-", "+"),
            RedisCommand("XACK", "q:{t1}:x", "g", "1-0"), RedisCommand("XGROUP", "CREATE", "q:{t1}:x", "g", "$", "MKSTREAM"),
            RedisCommand("XAUTOCLAIM", "q:{t1}:x", "g", "c", 1000, "0-0"), RedisCommand("XINFO", "GROUPS", "q:{t1}:x"),
            RedisCommand("XREADGROUP", "GROUP", "g", "c", "COUNT", 10, "STREAMS", "q:{t1}:x", ">"),
            RedisCommand("XREAD", "COUNT", 10, "STREAMS", "q:{t1}:x", "q:{t1}:y", "0", "0"),
            RedisCommand("EVALSHA", "abc", 2, "q:{t1}:a", "q:{t1}:b", "not-a-key"),
            RedisCommand("DEL", "q:{t1}:a", "q:{t1}:b"), RedisCommand("MSET", "q:{t1}:a", "1", "q:{t1}:b", "2"),
            RedisCommand("RENAME", "q:{t1}:a", "q:{t1}:b"),
        ]
        for command in cases {
            #expect(try ClusterRoute(command: command) == .slot(tag), "\(command.arguments.map { String(decoding: $0, as: UTF8.self) })")
        }
        for keyless in [RedisCommand("PING"), RedisCommand("TIME"), RedisCommand("INFO", "server"),
                        RedisCommand("SCRIPT", "LOAD", "return 1"), RedisCommand("CLUSTER", "SHARDS"),
                        RedisCommand("EVAL", "return 1", 0), RedisCommand("XINFO", "HELP")] {
            #expect(try ClusterRoute(command: keyless) == .anyNode)
        }
        // MSET values and EVAL arguments are not keys.
        #expect(try ClusterRoute(command: RedisCommand("MSET", "{a}1", "{b}", "{a}2", "{c}")) == .slot(ClusterHashSlot.slot(of: "a")))
    }

    @Test func crossSlotCommandsAreRefusedBeforeSending() throws {
        for command in [RedisCommand("DEL", "{a}x", "{b}x"), RedisCommand("EVALSHA", "abc", 2, "{a}x", "{b}x"),
                        RedisCommand("XREAD", "STREAMS", "{a}x", "{b}x", "0", "0"), RedisCommand("RENAME", "a", "b")] {
            #expect(throws: RedisError.self) { try ClusterRoute(command: command) }
            do {
                _ = try ClusterRoute(command: command)
            } catch {
                #expect(error.code == .crossSlot)
                #expect(!error.isOutcomeUnknown)
            }
        }
        #expect(throws: RedisError.self) { try ClusterRoute(keys: ["q:{t1}:a", "q:{t2}:a"]) }
        #expect(try ClusterRoute(keys: ["q:{t1}:a", "q:{t1}:b"]) == .slot(ClusterHashSlot.slot(of: "t1")))
        #expect(try ClusterRoute(keys: []) == .anyNode)
    }

    @Test func clusterSeedsAreParsed() throws {
        let configuration = try RedisConfiguration(
            clusterSeeds: ["127.0.0.1:7000", " redis://:secret@10.0.0.2:7001", "[::1]:7002"], poolSize: 3
        )
        #expect(configuration.mode == .cluster(seeds: [
            ClusterNodeAddress(host: "127.0.0.1", port: 7000), ClusterNodeAddress(host: "10.0.0.2", port: 7001),
            ClusterNodeAddress(host: "::1", port: 7002),
        ]))
        #expect(configuration.password == "secret")
        #expect(configuration.poolSize == 3)
        #expect(configuration.endpoint == .tcp(host: "127.0.0.1", port: 7000))
        #expect(try RedisConfiguration(url: "redis://127.0.0.1:6379").mode == .standalone)
        for bad in [[], ["127.0.0.1"], ["host:99999"], ["redis://h:1/2"], ["unix:///tmp/s"]] {
            #expect(throws: RedisError.self) { try RedisConfiguration(clusterSeeds: bad) }
        }
    }

    @Test func redirectionsAreParsed() {
        let moved = ClusterRedirection(error: "MOVED 3999 127.0.0.1:6381", replyingHost: "10.0.0.1")
        #expect(moved == ClusterRedirection(kind: .moved, slot: 3999, address: ClusterNodeAddress(host: "127.0.0.1", port: 6381)))
        let ask = ClusterRedirection(error: "ASK 12182 :7002", replyingHost: "10.0.0.1")
        #expect(ask?.kind == .ask)
        #expect(ask?.address == ClusterNodeAddress(host: "10.0.0.1", port: 7002))
        #expect(ClusterRedirection(error: "ASK 1 [::1]:7002", replyingHost: "x")?.address == ClusterNodeAddress(host: "::1", port: 7002))
        #expect(ClusterRedirection(error: "MOVEDX 1 a:1", replyingHost: "x") == nil)
        #expect(ClusterRedirection(error: "MOVED 16384 a:1", replyingHost: "x") == nil)
        #expect(ClusterRedirection(error: "ERR MOVED 1 a:1", replyingHost: "x") == nil)
    }

    @Test func clusterSlotsReplyIsParsed() throws {
        func node(_ host: String, _ port: Int) -> RedisReply {
            .array([.bulk(Array(host.utf8)), .integer(port), .bulk(Array("id".utf8))])
        }
        let reply = RedisReply.array([
            .array([.integer(0), .integer(5460), node("127.0.0.1", 7000), node("127.0.0.1", 7003)]),
            .array([.integer(5461), .integer(10922), node("", 7001)]),
            .array([.integer(10923), .integer(16383), node("127.0.0.1", 7002)]),
        ])
        let topology = try #require(ClusterTopology(slotsReply: reply, fallbackHost: "10.1.1.1"))
        #expect(topology.coveredSlots == 16384)
        #expect(topology.primaries.map(\.description) == ["127.0.0.1:7000", "10.1.1.1:7001", "127.0.0.1:7002"])
        #expect(topology.shards[0].replicas == [ClusterNodeAddress(host: "127.0.0.1", port: 7003)])
    }
}

extension ClusterRedirection {
    init(kind: Kind, slot: Int, address: ClusterNodeAddress) {
        self.init(error: "\(kind == .moved ? "MOVED" : "ASK") \(slot) \(address)", replyingHost: "")!
    }
}
