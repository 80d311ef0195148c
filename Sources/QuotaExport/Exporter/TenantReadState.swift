/// Where the exporter is in one tenant's stream.
struct TenantReadState: Sendable {
    /// The group exists (created or found) in this process.
    var groupReady = false
    /// Reading this consumer's own pending entries (left by a previous run) after this id; nil when done.
    var pendingCursor: String? = "0"
    /// The XAUTOCLAIM scan's cursor.
    var claimCursor = "0-0"
    /// When the next XAUTOCLAIM scan may start.
    var nextClaim: ContinuousClock.Instant = .now
}
