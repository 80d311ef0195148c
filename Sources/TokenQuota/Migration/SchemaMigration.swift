public import AsyncRedis
public import Logging

/// Converts a Redis holding quotad schema v1 data to schema v2 in place (`quotad migrate`).
///
/// Steps, each repeatable, so a second run — or a run after a crash half-way — ends in the same state:
/// 1. mark the migration as running (``SchemaVersion/check(client:writingMarkerWhenFresh:scanCount:)``
///    answers ``SchemaVersion/Status/needsMigration(from:)`` until it ends);
/// 2. move every v1 key (SCAN, never KEYS): per-user keys are renamed into the tenant's v2 keys (TTLs
///    kept), reservations are merged into `q:{t}:r`, v1 indexes are deleted;
/// 3. rebuild every tenant cycle's totals (`T:c`) and report rows (`T:r`) from the v2 user cycle hashes:
///    cleared first, then each user added once, so nothing is ever added twice;
/// 4. rebuild every tenant's reservation index and totals (`rx`, `rs`) from `q:{t}:r`;
/// 5. write the marker ``SchemaVersion/current``.
///
/// Standalone Redis only (schema v1 never supported Redis Cluster), and nothing else may write while it
/// runs (quotad refuses to serve until the marker is written).
public struct SchemaMigration: Sendable {
    /// The Redis to migrate.
    public let client: RedisClient
    /// Where progress is logged.
    public let logger: Logger
    /// The `COUNT` hint of each SCAN call (keys handled per batch).
    public var scanCount: Int
    /// How many keys of a batch are converted at once.
    public var concurrency: Int

    /// Creates a migration.
    public init(client: RedisClient, logger: Logger, scanCount: Int = 1000, concurrency: Int = 16) {
        self.client = client
        self.logger = logger
        self.scanCount = max(1, scanCount)
        self.concurrency = max(1, concurrency)
    }

    /// Migrates `client`'s Redis (see ``run(dryRun:)``).
    public static func run(client: RedisClient, logger: Logger, dryRun: Bool = false) async throws(SchemaError) -> MigrationReport {
        try await SchemaMigration(client: client, logger: logger).run(dryRun: dryRun)
    }

    /// Migrates, or with `dryRun` only counts what a migration would convert (writing nothing).
    ///
    /// A Redis already at ``SchemaVersion/current`` is left alone; a new one (no data) gets the marker.
    ///
    /// - Returns: what was (or would be) converted.
    /// - Throws: ``SchemaError``: ``SchemaError/Code/newerSchema`` when the marker names a newer version
    ///   (nothing is changed), ``SchemaError/Code/redis`` when a command fails (run again: it resumes).
    public func run(dryRun: Bool = false) async throws(SchemaError) -> MigrationReport {
        try await run(dryRun: dryRun, limit: nil)
    }

    /// Runs at most `limit` key steps, then stops as a crash would (tests); nil runs to the end.
    func run(dryRun: Bool, limit: Int?) async throws(SchemaError) -> MigrationReport {
        let status = try await SchemaVersion.check(client: client, writingMarkerWhenFresh: !dryRun, scanCount: scanCount)
        var report = MigrationReport(status: status, dryRun: dryRun)
        switch status {
        case .current, .fresh:
            report.completed = !dryRun
            return report
        case .newer(let version):
            throw .newer(version)
        case .needsMigration(let version) where version != 1:
            throw SchemaError(.needsMigration, "cannot migrate from schema v\(version): this quotad migrates schema v1 only")
        case .needsMigration:
            break
        }
        var budget = StepBudget(remaining: limit)
        do {
            if dryRun {
                try await plan(&report)
                return report
            }
            try await client.send("SET", SchemaVersion.migratingKey, "1")
            logger.info("migrating quotad schema v1 → v\(SchemaVersion.current)")
            guard try await moveV1Keys(&report, &budget) else { return report }
            logger.info("v1 keys moved", metadata: ["migration.users": "\(report.users)", "migration.cycles": "\(report.cycles)"])
            guard try await rebuildTenantCycles(&report, &budget) else { return report }
            logger.info("tenant cycles rebuilt", metadata: ["migration.tenant_cycles": "\(report.tenantCycles)"])
            guard try await rebuildReservations(&report, &budget) else { return report }
            try await client.send("SET", SchemaVersion.markerKey, String(SchemaVersion.current))
            try await client.send("DEL", SchemaVersion.migratingKey)
        } catch {
            throw .redis(error, "migrating (running `quotad migrate` again resumes safely)")
        }
        report.completed = true
        logger.info("\(report.summary)")
        return report
    }
}

/// How many key steps a test lets a migration run before it stops as a crash would.
struct StepBudget {
    /// Steps left; nil is unlimited.
    var remaining: Int?

    /// Takes up to `wanted` steps: how many may run.
    mutating func take(_ wanted: Int) -> Int {
        guard let left = remaining else { return wanted }
        let granted = min(left, wanted)
        remaining = left - granted
        return granted
    }
}
