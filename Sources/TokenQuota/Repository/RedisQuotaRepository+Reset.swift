import AsyncRedis
public import Foundation
import TokenAccounting

/// Explicit usage resets: the only way a user's spent budget starts again from zero before the cycle ends.
extension RedisQuotaRepository {
    /// Starts the user's running cycle from zero (their totals and rolling windows; the group's and tenant's
    /// totals and the report rows keep what happened) and records who did it, when and what was spent in
    /// the tenant cycle's report (``TenantReport/resets``).
    ///
    /// - Parameters:
    ///   - by: who resets (`admin`, `key:<id>`), at most 200 bytes without `|`.
    public func resetUsage(tenant: String, user: String, by: String, now: Date) async throws(QuotaError) -> UsageReset {
        try Identifier.validateTenant(tenant)
        try Identifier.validateName(user, field: "user")
        guard !by.isEmpty, by.utf8.count <= 200, !by.contains("|") else {
            throw QuotaError(.invalidArgument, "the resetting principal must be 1…200 bytes without '|'")
        }
        let keys = QuotaKeys(tenant: tenant)
        let context = try await loadContext(tenant: tenant, user: user)
        let at = await clock.now(client)
        var other = context.user.schedule
        if context.isUserSpecific {
            other = try await quota(tenant: tenant, subject: .tenantDefault)?.schedule ?? CycleSchedule()
        }
        let tenantCycle = context.tenant.schedule.cycle(containing: at)
        let reply = try await run(
            QuotaScripts.resetUsage,
            keys: [
                keys.userCycle(user, context.user.schedule.cycle(containing: at).id), keys.userCycle(user, other.cycle(containing: at).id),
                keys.userWindows(user), keys.reportRows(tenantCycle.id),
            ],
            arguments: [user, by, expireAt(tenantCycle)]
        )
        guard let parts = reply.array, parts.count == 3, let tokens = parts[0].int, let cost = parts[1].int, let redisNow = parts[2].int else {
            throw unexpectedReply(script: "reset_usage", reply)
        }
        forget(tenant: tenant, user: user)
        return UsageReset(user: user, at: Date(timeIntervalSince1970: Double(redisNow) / 1000), by: by, tokens: tokens, costNanoUSD: cost)
    }
}
