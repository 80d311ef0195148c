/// What a schema migration did (or, for a dry run, would do).
public struct MigrationReport: Sendable, Hashable {
    /// What Redis held before the run.
    public var status: SchemaVersion.Status
    /// True for a dry run: nothing was written.
    public var dryRun: Bool
    /// True when the run finished and the marker says ``SchemaVersion/current``; false for a dry run, or a
    /// run stopped early (it left Redis needing a migration; running again resumes safely).
    public var completed = false
    /// Users with at least one v1 key converted.
    public var users = 0
    /// User cycle hashes moved.
    public var cycles = 0
    /// Reservations moved into the tenants' reservation hashes.
    public var reservations = 0
    /// User quotas moved.
    public var quotas = 0
    /// Tenant default quotas moved.
    public var tenantDefaults = 0
    /// Dedupe markers moved.
    public var dedupeKeys = 0
    /// Audit streams moved.
    public var logs = 0
    /// v1 keys deleted without a v2 counterpart (reservation indexes and totals, report indexes) and
    /// malformed reservation entries.
    public var keysDropped = 0
    /// Tenant cycles whose totals (`T:c`) and report rows (`T:r`) were rebuilt.
    public var tenantCycles = 0
    /// Tenants whose reservation index and totals were rebuilt.
    public var reservationTenants = 0

    /// Creates an empty report.
    public init(status: SchemaVersion.Status, dryRun: Bool) {
        self.status = status
        self.dryRun = dryRun
    }

    /// One line for an operator.
    public var summary: String {
        switch status {
        case .current:
            return "schema v\(SchemaVersion.current) already: nothing to migrate"
        case .fresh:
            return dryRun
                ? "no quotad data: nothing to migrate (the marker v\(SchemaVersion.current) would be written)"
                : "no quotad data: nothing to migrate (marker v\(SchemaVersion.current) written)"
        case .newer(let version):
            return "schema v\(version) is newer than v\(SchemaVersion.current): nothing done"
        case .needsMigration(let version):
            let counts = "\(users) users, \(cycles) cycles, \(reservations) reservations, \(quotas) quotas, "
                + "\(tenantDefaults) tenant defaults, \(dedupeKeys) dedupe keys, \(logs) logs; \(keysDropped) keys dropped"
            if dryRun { return "would migrate schema v\(version) → v\(SchemaVersion.current): \(counts); \(tenantCycles) tenant cycles to rebuild" }
            let verb = completed ? "migrated" : "partly migrated (run again to finish)"
            return "\(verb) schema v\(version) → v\(SchemaVersion.current): \(counts); \(tenantCycles) tenant cycles and "
                + "\(reservationTenants) tenants' reservations rebuilt"
        }
    }

    /// Whether any key count is non-zero (the counts ``add(_:)`` adds).
    var convertedAnything: Bool {
        cycles + reservations + quotas + tenantDefaults + dedupeKeys + logs + keysDropped > 0
    }

    /// Adds the counts of `other` (its status and flags are ignored).
    mutating func add(_ other: MigrationReport) {
        cycles += other.cycles
        reservations += other.reservations
        quotas += other.quotas
        tenantDefaults += other.tenantDefaults
        dedupeKeys += other.dedupeKeys
        logs += other.logs
        keysDropped += other.keysDropped
    }
}
