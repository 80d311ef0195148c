/// What one run of the exporter remembers between passes.
struct ExportRunState: Sendable {
    /// The tenants being exported, sorted.
    var tenants: [String] = []
    /// Each tenant's read position.
    var readStates: [String: TenantReadState] = [:]
    /// When the tenant list and the lag are next refreshed.
    var nextRefresh: ContinuousClock.Instant = .now
    /// The tenant a pass starts with (passes rotate, so no tenant waits behind a busy one).
    var rotation = 0
    /// Redis is failing: logged once until it works again.
    var redisFailing = false
}
