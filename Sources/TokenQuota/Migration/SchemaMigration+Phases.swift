import AsyncRedis
import Logging

extension SchemaMigration {
    /// Step 2: moves every v1 key. Returns false when the step budget ran out.
    func moveV1Keys(_ report: inout MigrationReport, _ budget: inout StepBudget) async throws(RedisError) -> Bool {
        var users = Set<String>()
        defer { report.users = users.count }
        for pattern in SchemaVersion.v1Patterns {
            var scan = KeyScan(client: client, pattern: pattern, count: scanCount)
            while let keys = try await scan.next() {
                let parsed = parse(keys)
                let granted = budget.take(parsed.count)
                let client = self.client
                let moves = try await concurrently(Array(parsed.prefix(granted))) { (key, v1) async throws(RedisError) in
                    (v1, try await Self.move(key, v1, client))
                }
                for (v1, delta) in moves where delta.convertedAnything {
                    report.add(delta)
                    if let user = v1.user { users.insert(v1.tenant + "/" + user) }
                }
                if granted < parsed.count { return false }
            }
        }
        return true
    }

    /// Step 3: clears the tenant cycle keys, adds every user cycle once, then drops the `T:m` notes.
    func rebuildTenantCycles(_ report: inout MigrationReport, _ budget: inout StepBudget) async throws(RedisError) -> Bool {
        for pass in [V2Key.tenantCyclePattern, V2Key.userCyclePattern, V2Key.tenantMergedPattern] {
            var tenantCycles = Set<String>()
            var scan = KeyScan(client: client, pattern: pass, count: scanCount)
            while let keys = try await scan.next() {
                if pass == V2Key.userCyclePattern {
                    let cycles = keys.compactMap(V2Key.parseUserCycle)
                    let granted = budget.take(cycles.count)
                    let client = self.client
                    _ = try await concurrently(Array(cycles.prefix(granted))) { (tenant, user, cycle) async throws(RedisError) in
                        try await client.evaluate(
                            MigrationScripts.addUserCycle,
                            keys: [
                                V2Key.userCycle(tenant, user, cycle), V2Key.tenantCycle(tenant, cycle),
                                V2Key.tenantReport(tenant, cycle), V2Key.tenantMerged(tenant, cycle),
                            ],
                            arguments: [user]
                        )
                    }
                    for (tenant, _, cycle) in cycles.prefix(granted) { tenantCycles.insert(tenant + "/" + cycle) }
                    report.tenantCycles = tenantCycles.count
                    if granted < cycles.count { return false }
                } else {
                    // The first pass clears T:c, T:r and T:m; the last one only T:m (it matches nothing else).
                    let stale = keys.filter(V2Key.isTenantCycleKey)
                    let granted = budget.take(stale.count)
                    if granted > 0 { try await client.delete(Array(stale.prefix(granted))) }
                    if granted < stale.count { return false }
                }
            }
        }
        return true
    }

    /// Step 4: rebuilds every tenant's `rx` and `rs` from `q:{t}:r`.
    func rebuildReservations(_ report: inout MigrationReport, _ budget: inout StepBudget) async throws(RedisError) -> Bool {
        var tenants = Set<String>()
        defer { report.reservationTenants = tenants.count }
        var scan = KeyScan(client: client, pattern: V2Key.reservationsPattern, count: scanCount)
        while let keys = try await scan.next() {
            let found = keys.compactMap(V2Key.parseReservations)
            let granted = budget.take(found.count)
            let client = self.client
            _ = try await concurrently(Array(found.prefix(granted))) { tenant async throws(RedisError) in
                try await client.evaluate(
                    MigrationScripts.rebuildReservations,
                    keys: [V2Key.reservations(tenant), V2Key.reservationExpiry(tenant), V2Key.reservationTotals(tenant)],
                    arguments: []
                )
            }
            tenants.formUnion(found.prefix(granted))
            if granted < found.count { return false }
        }
        return true
    }

    /// A dry run: counts what ``moveV1Keys(_:_:)`` would convert, writing nothing.
    func plan(_ report: inout MigrationReport) async throws(RedisError) {
        var users = Set<String>()
        var tenantCycles = Set<String>()
        for pattern in SchemaVersion.v1Patterns {
            var scan = KeyScan(client: client, pattern: pattern, count: scanCount)
            while let keys = try await scan.next() {
                for (key, v1) in parse(keys) {
                    if let user = v1.user { users.insert(v1.tenant + "/" + user) }
                    switch v1 {
                    case .userCycle(let tenant, _, let cycle):
                        report.cycles += 1
                        tenantCycles.insert(tenant + "/" + cycle)
                    case .dedupe: report.dedupeKeys += 1
                    case .quota: report.quotas += 1
                    case .log: report.logs += 1
                    case .tenantDefault: report.tenantDefaults += 1
                    case .reservationIndex, .tenantUsers: report.keysDropped += 1
                    case .reservations: report.reservations += try await client.send("HLEN", key).int ?? 0
                    }
                }
            }
        }
        report.users = users.count
        report.tenantCycles = tenantCycles.count
    }

    /// Converts one v1 key: the counts it adds to the report (all zero when it was already gone).
    static func move(_ key: String, _ v1: V1Key, _ client: RedisClient) async throws(RedisError) -> MigrationReport {
        var delta = MigrationReport(status: .needsMigration(from: 1), dryRun: false)
        switch v1 {
        case .reservations(let tenant, let user):
            let reply = try await client.evaluate(
                MigrationScripts.moveReservations, keys: [key, V2Key.reservations(tenant)], arguments: [user]
            )
            let counts = reply.array ?? []
            delta.reservations = counts.first?.int ?? 0
            delta.keysDropped = counts.count > 1 ? counts[1].int ?? 0 : 0
        case .reservationIndex, .tenantUsers:
            delta.keysDropped = try await client.delete([key])
        case .userCycle, .dedupe, .quota, .log, .tenantDefault:
            guard let destination = v1.renamedKey else { return delta }
            do {
                try await client.send("RENAME", key, destination)
            } catch where error.code == .serverError && error.message.contains("no such key") {
                return delta  // moved already (SCAN may return a key twice)
            }
            switch v1 {
            case .userCycle: delta.cycles = 1
            case .dedupe: delta.dedupeKeys = 1
            case .quota: delta.quotas = 1
            case .log: delta.logs = 1
            default: delta.tenantDefaults = 1
            }
        }
        return delta
    }

    /// The v1 keys among `keys`; keys that match a v1 pattern without being of a known form are logged and left.
    func parse(_ keys: [String]) -> [(String, V1Key)] {
        keys.compactMap { key in
            guard let v1 = V1Key(key) else {
                logger.warning("left a key that matches a schema v1 pattern but is not quotad v1 data", metadata: ["redis.key": "\(key)"])
                return nil
            }
            return (key, v1)
        }
    }

    /// Runs `body` for every item, at most ``concurrency`` at once; results in completion order.
    func concurrently<Item: Sendable, Result: Sendable>(
        _ items: [Item], _ body: @escaping @Sendable (Item) async throws(RedisError) -> Result
    ) async throws(RedisError) -> [Result] {
        if items.isEmpty { return [] }
        let width = concurrency
        do {
            return try await withThrowingTaskGroup(of: Result.self) { group in
                var results: [Result] = []
                results.reserveCapacity(items.count)
                var next = 0
                while next < min(width, items.count) {
                    let item = items[next]
                    group.addTask { try await body(item) }
                    next += 1
                }
                while let result = try await group.next() {
                    results.append(result)
                    if next < items.count {
                        let item = items[next]
                        group.addTask { try await body(item) }
                        next += 1
                    }
                }
                return results
            }
        } catch let error as RedisError {
            throw error
        } catch {
            throw RedisError(.protocolError, "unexpected error: \(error)")
        }
    }
}

/// Walks the keys matching a pattern with SCAN, one page at a time.
struct KeyScan {
    let client: RedisClient
    let pattern: String
    let count: Int
    private var cursor: String? = "0"

    init(client: RedisClient, pattern: String, count: Int) {
        self.client = client
        self.pattern = pattern
        self.count = count
    }

    /// The next page of keys (possibly empty), or nil after the last one.
    mutating func next() async throws(RedisError) -> [String]? {
        guard let current = cursor else { return nil }
        let page = try await SchemaVersion.scan(client, cursor: current, pattern: pattern, count: count)
        cursor = page.cursor == "0" ? nil : page.cursor
        return page.keys
    }
}
