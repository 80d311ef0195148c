public import AsyncRedis
import Foundation
public import Logging
import TokenAccounting
import Synchronization

/// The Redis-backed ``QuotaRepository``: every write is one atomic Lua script over one tenant's keys, and
/// checks or changes every level (user, group, tenant) at once.
///
/// Record and reserve cost one round trip in the common case: the quotas of the levels that apply to a user
/// (cycle schedules and group membership) are cached in-process for
/// ``RepositorySettings/quotaCacheMilliseconds``, with the tenant's quota epoch they were read at. The
/// limits themselves are read inside the scripts, so a lowered limit binds at once on every instance; a
/// script that finds the epoch changed (any quota of the tenant changed, on any instance), the group or the
/// cycle stale is refused, and the repository reloads and asks again.
public final class RedisQuotaRepository: QuotaRepository {
    /// The client the repository talks through.
    public let client: RedisClient
    /// The repository's tunables.
    public let settings: RepositorySettings
    let logger: Logger
    let contexts = Mutex<[String: UserContext]>([:])
    let cycleCache = CycleCache()
    let dayCache = DayCache()
    /// When this process last added each tenant to ``QuotaKeys/tenantRegistry`` (monotonic ms).
    let registered = Mutex<[String: UInt64]>([:])
    /// The estimate of Redis's time used to pick the cycles a script works in (decisions use Redis's `TIME`).
    public let clock = RedisClock()
    /// How often a script may refuse the estimated cycles or group before the repository gives up (it
    /// learns Redis's time or reloads the quotas each time, so a second attempt is right unless a cycle
    /// boundary passes or the quota changes between).
    static let attempts = 3

    /// The quotas that decide where a user's usage counts: the user's effective quota, the group's and the
    /// tenant's (each with its schedule), cached per tenant and user.
    struct UserContext {
        var user: QuotaConfig
        var isUserSpecific: Bool
        var groupConfig: QuotaConfig?
        var tenant: QuotaConfig
        /// The tenant's quota epoch these quotas were read at; every write script compares it with the
        /// stored one and refuses (the repository reloads) when any quota of the tenant changed since.
        var epoch: String
        var loadedAt: UInt64

        var group: String? { user.group }

        /// The cycles of the levels containing `date`: user, group (when the user has one), tenant.
        func cycles(at date: Date, _ cache: CycleCache) -> (user: BillingCycle, group: BillingCycle?, tenant: BillingCycle) {
            (
                cache.cycle(of: user.schedule, containing: date), groupConfig.map { cache.cycle(of: $0.schedule, containing: date) },
                cache.cycle(of: tenant.schedule, containing: date)
            )
        }
    }

    /// Creates a repository over a connected (or connecting) client.
    public init(client: RedisClient, settings: RepositorySettings = RepositorySettings(), logger: Logger) {
        self.client = client
        self.settings = settings
        self.logger = logger
    }

    // MARK: Record

    public func record(_ event: UsageEvent, options: RecordOptions) async throws(QuotaError) -> RecordResult {
        try event.validate()
        // An event whose own cost passes the bound can never be recorded: refuse it before touching Redis
        // (the record script checks the same, and every resulting total, before it writes anything).
        guard event.costNanoUSD <= QuotaScripts.totalBound || !options.tokenStatistics else {
            throw QuotaError(
                .overflow,
                "recording event '\(event.eventID)' would push the cycle total of cost_nano_usd past \(QuotaScripts.totalBound); nothing was recorded"
            )
        }
        let keys = QuotaKeys(tenant: event.tenant)
        let u = event.usage
        var context = try await userContext(tenant: event.tenant, user: event.user)
        var at = await clock.now(client)
        var reply = RedisReply.null
        var cycles = context.cycles(at: at, cycleCache)
        let dimensionOffer = Self.dimensionCandidates(event.metadata)
        try await register(tenant: event.tenant)
        for attempt in 1...Self.attempts {
            let group = context.group
            let day = dayCache.day(in: context.tenant.schedule.policy.timeZone, containing: at)
            reply = try await run(
                QuotaScripts.record,
                keys: levelKeys(keys, user: event.user, group: group, cycles: cycles, dedupe: keys.dedupe(event.user, event.eventID)) + [
                    keys.events, keys.eventSequence, keys.dimensions, keys.day(day.id), keys.alerts,
                    event.reservationID.map { keys.reservationState(event.user, $0) } ?? keys.unused,
                ],
                arguments: levelArguments(user: event.user, context: context, cycles: cycles) + [
                    cycles.user.id, expireAt(cycles.user), cycles.group?.id ?? "", cycles.group.map(expireAt) ?? 0,
                    cycles.tenant.id, expireAt(cycles.tenant), settings.dedupeTTLSeconds, event.model,
                    event.isError ? 1 : 0, options.tokenStatistics ? 1 : 0,
                    u.inputTokens, u.cachedInputTokens, u.cacheWriteTokens, u.cacheWrite1hTokens, u.outputTokens, u.reasoningTokens,
                    u.audioInputTokens, u.audioOutputTokens, u.webSearchRequests, event.costNanoUSD,
                    event.priced ? 1 : 0, event.source == .estimated ? 1 : 0,
                    event.reservationID ?? "", event.pricedAs ?? "", event.eventID, event.provider?.rawValue ?? "",
                    event.tenant, settings.tenantEventStreamLength, settings.eventRetentionSeconds * 1000,
                    Self.milliseconds(day.start), Self.milliseconds(day.end),
                    Int(day.end.timeIntervalSince1970) + settings.historyDays * 86_400 + 1,
                    event.source.rawValue, event.latencyMilliseconds.map(String.init) ?? "", Self.milliseconds(event.occurredAt),
                    dimensionOffer.count / 2,
                ] + dimensionOffer
            )
            guard let retry = try await retryAfterRefusal(reply, tenant: event.tenant, user: event.user, attempt: attempt, script: "record") else { break }
            (context, at) = retry
            cycles = context.cycles(at: at, cycleCache)
        }
        if let parts = reply.array, parts.count == 3, let status = parts[0].int, status == -7, let settler = parts[1].text {
            throw QuotaError(
                .conflict,
                "reservation \(event.reservationID ?? "") was already committed by event '\(settler)'; a reservation settles once, "
                    + "nothing was recorded for event '\(event.eventID)'"
            )
        }
        if let parts = reply.array, parts.count == 3, let status = parts[0].int, status < 0, let field = parts[1].text {
            throw refusedRecord(status: status, field: field, model: parts[2].text ?? "", event: event)
        }
        guard let parts = reply.array, parts.count == 8, let recorded = parts[0].int, let first = parts[1].text,
              let totals = parts[2].array
        else { throw unexpectedReply(script: "record", reply) }
        let firstParts = first.split(separator: "|")
        let firstCycleID = firstParts.first.map(String.init) ?? cycles.user.id
        let firstCost = firstParts.count > 1 ? Int(firstParts[1]) ?? 0 : 0
        var resultCycle = cycles.user
        if firstCycleID != cycles.user.id, let earlier = try? context.user.schedule.cycle(id: firstCycleID) {
            resultCycle = earlier
        }
        let over = (parts[6].text ?? "").split(separator: ",").compactMap { QuotaLevel(rawValue: String($0)) }
        return RecordResult(
            recorded: recorded == 1,
            cycle: resultCycle,
            totals: Self.totals(fromFields: totals),
            reserved: ReservedAmounts(tokens: parts[3].int ?? 0, costNanoUSD: parts[4].int ?? 0, requests: parts[5].int ?? 0),
            limits: context.user.limits,
            firstCostNanoUSD: firstCost,
            overLimit: over,
            rateLimit: parts[7].text.flatMap(RateLimitStatus.init(scriptValue:))
        )
    }

    // MARK: Event stream support

    /// The metadata entries that may be declared dimensions (the record script keeps those the tenant
    /// declared): keys that are valid dimension names, values of at most 256 bytes; at most 32, by key.
    static func dimensionCandidates(_ metadata: [String: String]) -> [any RedisArgument] {
        guard !metadata.isEmpty else { return [] }
        var offer: [any RedisArgument] = []
        for key in metadata.keys.sorted().prefix(64) where Identifier.isDimensionName(key) {
            guard let value = metadata[key], value.utf8.count <= 256 else { continue }
            offer += [key, value]
            if offer.count == 64 { break }
        }
        return offer
    }

    /// Adds the tenant to the registry of tenants with recorded usage (read by the exporter), at most once a
    /// minute per tenant and process.
    func register(tenant: String) async throws(QuotaError) {
        let now = monotonicMilliseconds()
        let due = registered.withLock { seen in
            if let last = seen[tenant], now - last < 60_000 { return false }
            if seen.count >= 100_000 { seen.removeAll(keepingCapacity: true) }
            seen[tenant] = now
            return true
        }
        guard due else { return }
        _ = try await redis { () async throws(RedisError) -> RedisReply in
            try await client.send("SADD", QuotaKeys.tenantRegistry, tenant)
        }
    }

    // MARK: Script plumbing

    /// KEYS 1-17 of the scripts that work on every level (see `levels.lua`).
    func levelKeys(
        _ keys: QuotaKeys, user: String, group: String?, cycles: (user: BillingCycle, group: BillingCycle?, tenant: BillingCycle), dedupe: String
    ) -> [String] {
        [
            keys.reservations, keys.reservationExpiry, keys.reservationTotals, dedupe,
            keys.userCycle(user, cycles.user.id), keys.userWindows(user), keys.userQuota(user), keys.tenantDefault,
            group.flatMap { g in cycles.group.map { keys.groupCycle(g, $0.id) } } ?? keys.unused,
            group.map(keys.groupWindows) ?? keys.unused, group.map(keys.groupQuota) ?? keys.unused,
            keys.tenantCycle(cycles.tenant.id), keys.tenantWindows, keys.tenantQuota, keys.reportRows(cycles.tenant.id),
            keys.unused, keys.quotaEpoch,
        ]
    }

    /// ARGV 1-9 of the scripts that work on every level.
    func levelArguments(
        user: String, context: UserContext, cycles: (user: BillingCycle, group: BillingCycle?, tenant: BillingCycle)
    ) -> [any RedisArgument] {
        [
            user, context.group ?? "", Self.milliseconds(cycles.user.start), Self.milliseconds(cycles.user.end),
            cycles.group.map { Self.milliseconds($0.start) } ?? 0, cycles.group.map { Self.milliseconds($0.end) } ?? 0,
            Self.milliseconds(cycles.tenant.start), Self.milliseconds(cycles.tenant.end), context.epoch,
        ]
    }

    /// After a `{-3, Redis time}` (cycle) or `{-6, group}` (membership, or any quota of the tenant changed) refusal: the context and time to
    /// ask again with; nil when the reply is no such refusal. Throws after ``attempts`` refusals.
    func retryAfterRefusal(
        _ reply: RedisReply, tenant: String, user: String, attempt: Int, script: String
    ) async throws(QuotaError) -> (UserContext, Date)? {
        guard let parts = reply.array, parts.count == 2, let status = parts[0].int, status == -3 || status == -6 else { return nil }
        guard attempt < Self.attempts else { throw unexpectedReply(script: script, reply) }
        if status == -3, let redisNow = parts[1].int {
            clock.observe(redisMilliseconds: redisNow)
            let context = try await userContext(tenant: tenant, user: user)
            return (context, Date(timeIntervalSince1970: Double(redisNow) / 1000))
        }
        forget(tenant: tenant, user: user)
        let context = try await userContext(tenant: tenant, user: user)
        return (context, await clock.now(client))
    }

    func expireAt(_ cycle: BillingCycle) -> Int {
        let length = max(1, cycle.end.timeIntervalSince(cycle.start))
        return Int(cycle.end.timeIntervalSince1970 + length * Double(settings.historyCycles)) + 1
    }

    /// Runs a quota script; a write script waits for ``RepositorySettings/minimumReplicaAcknowledgements``
    /// replicas (`WAIT` on the same connection), the read scripts never do.
    func run(_ script: RedisScript, keys: [String], arguments: [any RedisArgument]) async throws(QuotaError) -> RedisReply {
        let isRead = script.sha1 == QuotaScripts.read.sha1 || script.sha1 == QuotaScripts.context.sha1
        let replicas = isRead ? 0 : settings.minimumReplicaAcknowledgements
        return try await redis { () async throws(RedisError) -> RedisReply in
            try await client.evaluate(
                script, keys: keys, arguments: arguments, acknowledgedBy: replicas, within: settings.replicaAcknowledgementTimeout
            )
        }
    }

    static func milliseconds(_ date: Date) -> Int { Int((date.timeIntervalSince1970 * 1000).rounded(.down)) }
}
