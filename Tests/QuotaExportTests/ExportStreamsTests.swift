import AsyncRedis
import EmbeddedRedis
import Logging
import QuotaExport
import Testing
import TokenQuota

/// The Redis side of the export against a real redis-server: gaps in the sequence numbers are dropped events.
@Suite("Export streams (redis-server)")
struct ExportStreamsTests {
    func withClient(_ body: (RedisClient) async throws -> Void) async throws {
        try await withRedisServer { server in
            let client = try RedisClient(url: server.url, logger: Logger(label: "test.redis"))
            try await client.waitUntilConnected(timeout: .seconds(5))
            do {
                try await body(client)
                await client.shutdown()
            } catch {
                await client.shutdown()
                throw error
            }
        }
    }

    func add(_ client: RedisClient, _ numbers: [Int], maxLength: Int? = nil) async throws {
        for n in numbers {
            var command = RedisCommand("XADD", QuotaKeys(tenant: "acme").events)
            if let maxLength { command.append("MAXLEN"); command.append(maxLength) }
            for argument in ["*", "n", String(n), "u", "u", "at", "1000"] { command.append(argument) }
            _ = try await client.send(command)
        }
    }

    @Test("a gap between reads is counted once, whichever consumer sees it")
    func gapsAcrossConsumers() async throws {
        try await withClient { client in
            let first = ExportStreams(client: client, consumer: "a")
            let second = ExportStreams(client: client, consumer: "b")
            try await first.ensureGroup(tenant: "acme")
            try await first.ensureGroup(tenant: "acme")  // BUSYGROUP is fine
            try await add(client, [1, 2, 5, 6, 9])
            let one = try await first.readNew(tenant: "acme", count: 2)
            let two = try await second.readNew(tenant: "acme", count: 2)
            let three = try await first.readNew(tenant: "acme", count: 10)
            #expect(one.events.compactMap(\.sequence) == [1, 2] && one.dropped == 0)
            #expect(two.events.compactMap(\.sequence) == [5, 6] && two.dropped == 2)
            #expect(three.events.compactMap(\.sequence) == [9] && three.dropped == 2)
            #expect(try await first.readNew(tenant: "acme", count: 10).events.isEmpty)
        }
    }

    @Test("events trimmed by MAXLEN before the first read are counted as dropped")
    func trimmedBacklog() async throws {
        try await withClient { client in
            let streams = ExportStreams(client: client, consumer: "a")
            try await streams.ensureGroup(tenant: "acme")
            try await add(client, Array(1...30), maxLength: 10)
            let read = try await streams.readNew(tenant: "acme", count: 100)
            #expect(read.events.compactMap(\.sequence) == Array(21...30))
            #expect(read.dropped == 20)
            #expect(try await streams.backlog(tenant: "acme") == 10)
            try await streams.acknowledge(tenant: "acme", ids: read.events.map(\.streamID))
            #expect(try await streams.backlog(tenant: "acme") == 0)
        }
    }

    @Test("a deleted stream gets its group back on the next read")
    func recreatedStream() async throws {
        try await withClient { client in
            let streams = ExportStreams(client: client, consumer: "a")
            try await streams.ensureGroup(tenant: "acme")
            try await add(client, [1, 2])
            _ = try await streams.readNew(tenant: "acme", count: 10)
            try await client.send("DEL", QuotaKeys(tenant: "acme").events)
            try await add(client, [1])
            let read = try await streams.readNew(tenant: "acme", count: 10)
            #expect(read.events.compactMap(\.sequence) == [1])
            #expect(read.dropped == 0)
        }
    }

    @Test("own pending entries are read again after a restart; those trimmed meanwhile come back as deleted")
    func pendingAfterRestart() async throws {
        try await withClient { client in
            let streams = ExportStreams(client: client, consumer: "a")
            try await streams.ensureGroup(tenant: "acme")
            try await add(client, [1, 2, 3])
            let read = try await streams.readNew(tenant: "acme", count: 10)
            #expect(read.events.count == 3)
            try await client.send("XTRIM", QuotaKeys(tenant: "acme").events, "MAXLEN", "1")
            let pending = try await streams.readPending(tenant: "acme", after: "0", count: 10)
            #expect(pending.events.compactMap(\.sequence) == [3])
            #expect(pending.deleted == read.events.prefix(2).map(\.streamID))
            #expect(pending.lastID == read.events[2].streamID)
            let after = try await streams.readPending(tenant: "acme", after: pending.lastID!, count: 10)
            #expect(after.lastID == nil)
            #expect(try await ExportStreams(client: client, consumer: "b").readPending(tenant: "acme", after: "0", count: 10).lastID == nil)
        }
    }

    @Test("when Redis cannot tell the lag (an entry deleted mid-stream), the backlog counts from the high-water mark")
    func backlogWithoutLag() async throws {
        try await withClient { client in
            let key = QuotaKeys(tenant: "acme").events
            for n in 1...5 { try await client.send("XADD", key, "0-\(n)", "n", String(n)) }
            try await client.send("XDEL", key, "0-3")
            let streams = ExportStreams(client: client, consumer: "a")
            try await streams.ensureGroup(tenant: "acme")
            #expect(try await client.send("XINFO", "GROUPS", key).array?.first?.array?.last?.isNull == true)
            #expect(try await streams.backlog(tenant: "acme") == 5)
            let read = try await streams.readNew(tenant: "acme", count: 2)
            #expect(read.events.compactMap(\.sequence) == [1, 2])
            #expect(try await streams.backlog(tenant: "acme") == 5)  // 2 pending + 3 after n = 2
        }
    }
}
