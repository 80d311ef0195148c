/// Tunables of ``RedisQuotaRepository``.
public struct RepositorySettings: Sendable, Hashable {
    /// How many past cycles of totals are kept: cycle keys expire this many cycle lengths after the cycle ends.
    public var historyCycles: Int
    /// How long an event id is remembered for deduplication, in seconds.
    public var dedupeTTLSeconds: Int
    /// Longest reservation TTL accepted, in seconds.
    public var maximumReservationTTLSeconds: Int
    /// How long the quotas that apply to a user are reused in-process, in milliseconds (0: always read). A
    /// cached copy never outlives a change: every write script checks the tenant's quota epoch it was read at.
    public var quotaCacheMilliseconds: Int
    /// The most active reservations one user may hold; beyond it reservations are refused
    /// (``QuotaError/Code/tooManyReservations``).
    public var maximumActiveReservationsPerUser: Int
    /// The most entries each tenant's event stream (`q:{t}:x`, the export's source) holds (XADD MAXLEN ~);
    /// 0 disables the stream.
    public var tenantEventStreamLength: Int = 200_000
    /// How long recorded events stay in the tenant's event stream, in seconds.
    public var eventRetentionSeconds: Int = 7 * 24 * 3600
    /// How many days the per-day usage rows are kept after their day.
    public var historyDays: Int = 400
    /// How many replicas must acknowledge each write script (record, reserve, commit, release, quota
    /// changes) before it counts as done: the script is followed by `WAIT` on the same connection, and fewer
    /// acknowledgements within ``replicaAcknowledgementTimeout`` fail with ``QuotaError/Code/outcomeUnknown``
    /// (the write ran on the primary but could be lost in a failover; retry with the same event id). 0: no
    /// `WAIT`. Reads never wait.
    public var minimumReplicaAcknowledgements: Int = 0
    /// How long a write waits for ``minimumReplicaAcknowledgements`` replicas.
    public var replicaAcknowledgementTimeout: Duration = .milliseconds(500)

    /// Creates settings: 12 cycles of history, 7 days of dedupe, 1 h max reservations, 60 s quota cache,
    /// 1,000 active reservations per user.
    public init(
        historyCycles: Int = 12,
        dedupeTTLSeconds: Int = 7 * 24 * 3600,
        maximumReservationTTLSeconds: Int = 3600,
        quotaCacheMilliseconds: Int = 60_000,
        maximumActiveReservationsPerUser: Int = 1000
    ) {
        self.historyCycles = historyCycles
        self.dedupeTTLSeconds = dedupeTTLSeconds
        self.maximumReservationTTLSeconds = maximumReservationTTLSeconds
        self.quotaCacheMilliseconds = quotaCacheMilliseconds
        self.maximumActiveReservationsPerUser = maximumActiveReservationsPerUser
    }
}
