public import AsyncRedis
import TokenQuota

/// The Redis side of the export: the tenant registry and the `export` consumer group on each tenant's
/// recorded-events stream `q:{t}:x`.
public struct ExportStreams: Sendable {
    let client: RedisClient
    let group: String
    let consumer: String

    /// Creates the accessor for one consumer of `group`.
    public init(client: RedisClient, group: String = "export", consumer: String) {
        self.client = client
        self.group = group
        self.consumer = consumer
    }

    /// The high-water mark of the group: the highest sequence number `n` delivered (`q:{t}:xe`).
    static func highWaterKey(_ tenant: String) -> String { QuotaKeys(tenant: tenant).events + "e" }

    /// Every tenant that recorded usage (`SMEMBERS quotad:tenants`), sorted.
    public func tenants() async throws(RedisError) -> [String] {
        let reply = try await client.send("SMEMBERS", QuotaKeys.tenantRegistry)
        return (reply.array ?? []).compactMap(\.text).sorted()
    }

    /// Creates the group at id `0` (everything still in the stream), creating the stream if needed; an
    /// existing group is kept.
    public func ensureGroup(tenant: String) async throws(RedisError) {
        do {
            try await client.send("XGROUP", "CREATE", QuotaKeys(tenant: tenant).events, group, "0", "MKSTREAM")
        } catch where error.serverErrorPrefix == "BUSYGROUP" {
            return
        }
    }

    /// Reads up to `count` entries never delivered to the group.
    ///
    /// - Returns: the events and how many sequence numbers were skipped (events trimmed before export).
    public func readNew(tenant: String, count: Int) async throws(RedisError) -> (events: [ExportEntry], dropped: Int) {
        let keys = [QuotaKeys(tenant: tenant).events, Self.highWaterKey(tenant)]
        let arguments: [any RedisArgument] = [group, consumer, count]
        let reply: RedisReply
        do {
            reply = try await client.evaluate(ExportScripts.readNew, keys: keys, arguments: arguments)
        } catch where error.message.contains("NOGROUP") {
            // The stream was deleted (and the group with it): start again from what it holds now.
            try await ensureGroup(tenant: tenant)
            reply = try await client.evaluate(ExportScripts.readNew, keys: keys, arguments: arguments)
        }
        guard let parts = reply.array, parts.count == 2 else {
            throw RedisError(.unexpectedReply, "export read returned \(reply)")
        }
        return (ExportEntry.entries(parts[1], tenant: tenant).events, parts[0].int ?? 0)
    }

    /// Reads up to `count` of this consumer's own pending entries with an id after `cursor` (entries it
    /// read before a restart and never acknowledged).
    ///
    /// - Returns: the events, the ids of pending entries already trimmed from the stream, and the last id
    ///   (nil when there is nothing more).
    public func readPending(tenant: String, after cursor: String, count: Int) async throws(RedisError)
        -> (events: [ExportEntry], deleted: [String], lastID: String?)
    {
        let key = QuotaKeys(tenant: tenant).events
        let reply = try await client.send("XREADGROUP", "GROUP", group, consumer, "COUNT", count, "STREAMS", key, cursor)
        guard let streams = reply.array, let first = streams.first?.array, first.count == 2 else { return ([], [], nil) }
        return ExportEntry.entries(first[1], tenant: tenant)
    }

    /// Claims up to `count` entries pending at any consumer for at least `idle` (XAUTOCLAIM from `cursor`).
    ///
    /// - Returns: the cursor for the next call (`0-0` when the scan is complete), the claimed events, and
    ///   the ids of pending entries that were trimmed from the stream (Redis removes them from the group).
    public func claim(tenant: String, cursor: String, count: Int, idle: Duration) async throws(RedisError)
        -> (next: String, events: [ExportEntry], deleted: [String])
    {
        let key = QuotaKeys(tenant: tenant).events
        let idleMilliseconds = Int(idle.components.seconds * 1000 + idle.components.attoseconds / 1_000_000_000_000_000)
        let reply = try await client.send("XAUTOCLAIM", key, group, consumer, idleMilliseconds, cursor, "COUNT", count)
        guard let parts = reply.array, parts.count >= 2, let next = parts[0].text else {
            throw RedisError(.unexpectedReply, "XAUTOCLAIM returned \(reply)")
        }
        let claimed = ExportEntry.entries(parts[1], tenant: tenant)
        let deleted = parts.count > 2 ? (parts[2].array ?? []).compactMap(\.text) : []
        return (next, claimed.events, claimed.deleted + deleted)
    }

    /// Acknowledges entries of one tenant's stream.
    public func acknowledge(tenant: String, ids: [String]) async throws(RedisError) {
        guard !ids.isEmpty else { return }
        var command = RedisCommand("XACK", QuotaKeys(tenant: tenant).events, group)
        for id in ids { command.append(id) }
        _ = try await client.send(command)
    }

    /// The group's backlog on one tenant's stream: entries not yet delivered (`lag`) plus delivered but not
    /// acknowledged (`pending`); 0 when the group does not exist yet.
    ///
    /// When Redis cannot tell the lag (the group was created after entries had been trimmed, until it
    /// catches up), the undelivered entries are the sequence numbers after the group's high-water mark
    /// (an over-count by the trimmed ones, which are about to be counted as dropped).
    public func backlog(tenant: String) async throws(RedisError) -> Int {
        let key = QuotaKeys(tenant: tenant).events
        let reply: RedisReply
        do {
            reply = try await client.send("XINFO", "GROUPS", key)
        } catch where error.message.contains("no such key") {
            return 0
        }
        for info in reply.array ?? [] {
            guard let values = info.array else { continue }
            var fields: [String: RedisReply] = [:]
            var index = 0
            while index + 1 < values.count {
                if let name = values[index].text { fields[name] = values[index + 1] }
                index += 2
            }
            guard fields["name"]?.text == group else { continue }
            let pending = fields["pending"]?.int ?? 0
            if let lag = fields["lag"]?.int { return pending + lag }
            let newest = try await client.send("XREVRANGE", key, "+", "-", "COUNT", 1)
            let newestEvents = ExportEntry.entries(newest, tenant: tenant).events
            let mark = try await client.send("GET", Self.highWaterKey(tenant)).int ?? 0
            return pending + max(0, (newestEvents.first?.sequence ?? mark) - mark)
        }
        return 0
    }
}
