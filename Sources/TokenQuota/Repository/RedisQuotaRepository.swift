public import AsyncRedis
public import Foundation
public import Logging
public import TokenAccounting

/// The Redis-backed ``QuotaRepository``: every write is one atomic Lua script over one user's keys.
public final class RedisQuotaRepository: QuotaRepository {
    /// The client the repository talks through.
    public let client: RedisClient
    /// The repository's tunables.
    public let settings: RepositorySettings
    let logger: Logger

    /// Creates a repository over a connected (or connecting) client.
    public init(client: RedisClient, settings: RepositorySettings = RepositorySettings(), logger: Logger) {
        self.client = client
        self.settings = settings
        self.logger = logger
    }

    public func record(_ event: UsageEvent, options: RecordOptions) async throws(QuotaError) -> RecordResult { throw QuotaError(.internalError, "not implemented yet") }
    public func reserve(_ request: ReservationRequest, now: Date) async throws(QuotaError) -> ReserveOutcome { throw QuotaError(.internalError, "not implemented yet") }
    public func release(tenant: String, user: String, reservationID: String) async throws(QuotaError) -> Bool { throw QuotaError(.internalError, "not implemented yet") }
    public func reservationOwner(tenant: String, reservationID: String) async throws(QuotaError) -> String? { throw QuotaError(.internalError, "not implemented yet") }
    public func usage(tenant: String, user: String, cycleID: String?, now: Date) async throws(QuotaError) -> UserUsage { throw QuotaError(.internalError, "not implemented yet") }
    public func quota(tenant: String, user: String) async throws(QuotaError) -> (config: QuotaConfig, isUserSpecific: Bool) { throw QuotaError(.internalError, "not implemented yet") }
    public func setQuota(tenant: String, user: String, _ config: QuotaConfig?, now: Date) async throws(QuotaError) { throw QuotaError(.internalError, "not implemented yet") }
    public func defaultQuota(tenant: String) async throws(QuotaError) -> QuotaConfig { throw QuotaError(.internalError, "not implemented yet") }
    public func setDefaultQuota(tenant: String, _ config: QuotaConfig, now: Date) async throws(QuotaError) { throw QuotaError(.internalError, "not implemented yet") }
    public func report(tenant: String, cycleID: String?, now: Date) async throws(QuotaError) -> TenantReport { throw QuotaError(.internalError, "not implemented yet") }
}
