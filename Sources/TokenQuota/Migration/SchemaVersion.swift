public import AsyncRedis

/// The version of quotad's Redis key schema, recorded in the marker key ``markerKey``.
///
/// At start quotad calls ``check(client:writingMarkerWhenFresh:)``: a Redis without a marker and without
/// data of an older schema is new, and gets the marker; one holding older data must be migrated first
/// (`quotad migrate`, ``SchemaMigration``); one marked with a newer version is refused.
///
/// In cluster mode only the marker is read (and written when absent): `SCAN` sees one node's keys only, and
/// schema v1 never ran on a Redis Cluster (its keys had no per-tenant hash tag), so a cluster holds no v1 data.
public enum SchemaVersion {
    /// The schema this quotad reads and writes.
    public static let current = 2

    /// The global marker key, holding the schema version as a decimal string.
    public static let markerKey = "quotad:schema"

    /// Present while a migration runs (deleted when it ends): a Redis holding it still needs migrating, even
    /// when no v1 key is left (a crash after the keys were moved, before the tenant totals were rebuilt).
    static let migratingKey = "quotad:schema:migrating"

    /// SCAN patterns that find schema v1 data (see the v2 schema's "v1 keys").
    static let v1Patterns = ["q:{*/*}*", "q:t:{*}:default", "q:t:{*}:users:*"]

    /// What a Redis holds.
    public enum Status: Sendable, Hashable {
        /// Marked with ``SchemaVersion/current``.
        case current
        /// No marker and no older data: a new Redis (the marker is written unless asked not to).
        case fresh
        /// No marker, and data of an older schema (or an unfinished migration): run `quotad migrate`.
        case needsMigration(from: Int)
        /// Marked with a newer version than this quotad knows.
        case newer(Int)
    }

    /// Reads the marker and, when there is none, looks for v1 data (SCAN, never KEYS; stops at the first hit).
    /// A cluster (``RedisConfiguration/Mode/cluster(seeds:)``) is never searched for v1 data: see the type's
    /// documentation.
    ///
    /// - Parameters:
    ///   - client: the Redis to check.
    ///   - writingMarkerWhenFresh: write the marker (`SET NX`) when Redis is ``Status/fresh``.
    ///   - scanCount: the `COUNT` hint of each SCAN call.
    /// - Returns: what Redis holds.
    /// - Throws: ``SchemaError`` when the marker is not a number or a command fails.
    public static func check(
        client: RedisClient, writingMarkerWhenFresh: Bool = true, scanCount: Int = 1000
    ) async throws(SchemaError) -> Status {
        if let version = try await marker(client) { return status(of: version) }
        if !isCluster(client), try await holdsV1Data(client, scanCount: scanCount) { return .needsMigration(from: 1) }
        guard writingMarkerWhenFresh else { return .fresh }
        let written: Bool
        do {
            written = try await !client.send("SET", markerKey, String(current), "NX").isNull
        } catch {
            throw .redis(error, "writing the schema marker \(markerKey)")
        }
        // Another process wrote it between our GET and SET: answer from what it wrote.
        if !written, let version = try await marker(client) { return status(of: version) }
        return .fresh
    }

    /// Like ``check(client:writingMarkerWhenFresh:scanCount:)``, but throws unless this quotad can serve
    /// the Redis (``Status/current`` or ``Status/fresh``, whose marker it writes).
    ///
    /// - Throws: ``SchemaError`` with ``SchemaError/Code/needsMigration`` or ``SchemaError/Code/newerSchema``
    ///   and a one-line message saying what to do, or any error of `check`.
    @discardableResult
    public static func requireServable(client: RedisClient, scanCount: Int = 1000) async throws(SchemaError) -> Status {
        let status = try await check(client: client, scanCount: scanCount)
        switch status {
        case .current, .fresh: return status
        case .needsMigration(let version): throw .needsMigration(from: version)
        case .newer(let version): throw .newer(version)
        }
    }

    /// Whether the client talks to a Redis Cluster.
    static func isCluster(_ client: RedisClient) -> Bool {
        if case .cluster = client.configuration.mode { return true }
        return false
    }

    /// Whether Redis holds schema v1 keys or an unfinished migration (standalone only: SCAN sees one node).
    static func holdsV1Data(_ client: RedisClient, scanCount: Int) async throws(SchemaError) -> Bool {
        do {
            if try await client.send("EXISTS", migratingKey).int == 1 { return true }
            for pattern in v1Patterns {
                if try await anyKey(client, matching: pattern, count: scanCount) { return true }
            }
            return false
        } catch {
            throw .redis(error, "looking for schema v1 keys")
        }
    }

    static func status(of version: Int) -> Status {
        if version == current { return .current }
        return version > current ? .newer(version) : .needsMigration(from: version)
    }

    /// The marker's version, or nil when there is none.
    static func marker(_ client: RedisClient) async throws(SchemaError) -> Int? {
        let bytes: [UInt8]?
        do {
            bytes = try await client.get(markerKey)
        } catch {
            throw .redis(error, "reading the schema marker \(markerKey)")
        }
        guard let bytes else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        guard let version = Int(text), version > 0 else {
            throw SchemaError(.unreadableMarker, "the schema marker \(markerKey) holds '\(text.prefix(40))', not a schema version")
        }
        return version
    }

    /// Whether any key matches `pattern` (SCAN until the first match or the end of the keyspace).
    static func anyKey(_ client: RedisClient, matching pattern: String, count: Int) async throws(RedisError) -> Bool {
        var cursor = "0"
        repeat {
            let page = try await scan(client, cursor: cursor, pattern: pattern, count: count)
            if !page.keys.isEmpty { return true }
            cursor = page.cursor
        } while cursor != "0"
        return false
    }

    /// One SCAN call.
    static func scan(_ client: RedisClient, cursor: String, pattern: String, count: Int) async throws(RedisError) -> (cursor: String, keys: [String]) {
        let reply = try await client.send("SCAN", cursor, "MATCH", pattern, "COUNT", count)
        guard let parts = reply.array, parts.count == 2, let next = parts[0].text, let keys = parts[1].array else {
            throw RedisError(.unexpectedReply, "SCAN returned \(reply)")
        }
        return (next, keys.compactMap(\.text))
    }
}
