public import AsyncRedis

/// quotad's own Redis state beside the quota data, one store per kind: tenant keys, the metrics
/// switches, dashboard sessions, and the reads the dashboard and `/readyz` make (alerts, tenants, PING).
///
/// The HTTP layer holds these values and never a Redis client: every Redis command it causes goes
/// through a store (or the quota repository), each failure arriving as a ``TokenQuota/QuotaError``.
public struct Stores: Sendable {
    /// Tenant API keys.
    public var keys: TenantKeyStore
    /// The usage-recording switches.
    public var settings: MetricsSettingsStore
    /// Dashboard sign-in sessions.
    public var sessions: DashboardSessionStore
    /// The tenants' alert streams.
    public var alerts: AlertFeed
    /// The tenant registry.
    public var tenants: TenantDirectory
    /// The readiness probe.
    public var health: RedisHealth

    /// Creates every store over one client; positive key lookups are cached for `keyCacheTTL` (capped at 1 s).
    public init(client: RedisClient, keyCacheTTL: Duration = .seconds(1)) {
        keys = TenantKeyStore(client: client, cacheTTL: keyCacheTTL)
        settings = MetricsSettingsStore(client: client)
        sessions = DashboardSessionStore(client: client)
        alerts = AlertFeed(client: client)
        tenants = TenantDirectory(client: client)
        health = RedisHealth(client: client)
    }
}
