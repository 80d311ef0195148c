public import AsyncRedis
public import Foundation
public import Logging
public import TokenAccounting
import Synchronization

/// The Redis-backed ``QuotaRepository``: every write is one atomic Lua script over one user's keys.
///
/// Record and reserve cost one round trip in the common case: the user's quota (limits and cycle
/// schedule) is cached in-process for ``RepositorySettings/quotaCacheMilliseconds``, and the tenant's
/// report index is written once per user and cycle per process.
public final class RedisQuotaRepository: QuotaRepository {
    /// The client the repository talks through.
    public let client: RedisClient
    /// The repository's tunables.
    public let settings: RepositorySettings
    let logger: Logger
    private let quotaCache = Mutex<[String: CachedQuota]>([:])
    private let indexed = Mutex<Set<String>>([])
    /// The estimate of Redis's time used to pick the cycle a script works in (decisions use Redis's `TIME`).
    public let clock = RedisClock()
    /// How often a script may refuse the estimated cycle before the repository gives up (it learns
    /// Redis's time from each refusal, so a second attempt is right unless a cycle boundary passes between).
    static let cycleAttempts = 3

    struct CachedQuota {
        var config: QuotaConfig
        var isUserSpecific: Bool
        var tenantDefault: QuotaLimits
        var loadedAt: UInt64
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
        let keys = QuotaKeys(tenant: event.tenant, user: event.user)
        let quota = try await cachedQuota(tenant: event.tenant, user: event.user)
        var cycle = quota.config.schedule.cycle(containing: await clock.now(client))
        let u = event.usage
        var reply = RedisReply.null
        for attempt in 1...Self.cycleAttempts {
            try await index(tenant: event.tenant, user: event.user, cycle: cycle)
            let arguments: [any RedisArgument] = [
                Self.milliseconds(cycle.start), settings.dedupeTTLSeconds, cycle.id, expireAt(cycle), event.model,
                event.isError ? 1 : 0, options.tokenStatistics ? 1 : 0,
                u.inputTokens, u.cachedInputTokens, u.cacheWriteTokens, u.cacheWrite1hTokens, u.outputTokens, u.reasoningTokens,
                u.audioInputTokens, u.audioOutputTokens, u.webSearchRequests, event.costNanoUSD,
                event.priced ? 1 : 0, event.source == .estimated ? 1 : 0,
                event.reservationID ?? "", settings.eventStreamLength, event.eventID, event.provider?.rawValue ?? "",
                Self.milliseconds(cycle.end),
            ]
            reply = try await run(
                QuotaScripts.record,
                keys: [
                    keys.cycle(cycle.id), keys.dedupe(event.eventID), keys.reservations, keys.reservationExpiry, keys.log,
                    keys.reservationTotals,
                ],
                arguments: arguments
            )
            guard let redisNow = redisTimeOfCycleRefusal(reply) else { break }
            guard attempt < Self.cycleAttempts else { throw unexpectedReply(script: "record", reply) }
            cycle = quota.config.schedule.cycle(containing: Date(timeIntervalSince1970: Double(redisNow) / 1000))
        }
        if let parts = reply.array, parts.count == 3, let status = parts[0].int, status < 0, let field = parts[1].text {
            throw refusedRecord(status: status, field: field, model: parts[2].text ?? "", event: event)
        }
        guard let parts = reply.array, parts.count == 6, let recorded = parts[0].int, let first = parts[1].text,
              let totals = parts[2].array
        else { throw unexpectedReply(script: "record", reply) }
        let firstParts = first.split(separator: "|")
        let firstCycleID = firstParts.first.map(String.init) ?? cycle.id
        let firstCost = firstParts.count > 1 ? Int(firstParts[1]) ?? 0 : 0
        var resultCycle = cycle
        if firstCycleID != cycle.id, let earlier = try? quota.config.schedule.cycle(id: firstCycleID) {
            resultCycle = earlier
        }
        return RecordResult(
            recorded: recorded == 1,
            cycle: resultCycle,
            totals: Self.totals(fromFields: totals),
            reserved: ReservedAmounts(tokens: parts[3].int ?? 0, costNanoUSD: parts[4].int ?? 0, requests: parts[5].int ?? 0),
            limits: quota.config.limits,
            firstCostNanoUSD: firstCost
        )
    }

    // MARK: Reservations

    public func reserve(_ request: ReservationRequest, now: Date) async throws(QuotaError) -> ReserveOutcome {
        try Identifier.validateName(request.tenant, field: "tenant")
        try Identifier.validateName(request.user, field: "user")
        guard request.tokens >= 0, request.tokens <= TokenUsage.maximumCount else {
            throw QuotaError(.invalidArgument, "reserved tokens must be between 0 and \(TokenUsage.maximumCount)")
        }
        guard request.costNanoUSD >= 0 else { throw QuotaError(.invalidArgument, "reserved cost must not be negative") }
        guard (1...settings.maximumReservationTTLSeconds).contains(request.ttlSeconds) else {
            throw QuotaError(.invalidArgument, "ttl_seconds must be between 1 and \(settings.maximumReservationTTLSeconds)")
        }
        let id = try ReservationID.make(user: request.user, suffix: request.reservationID)
        let keys = QuotaKeys(tenant: request.tenant, user: request.user)
        let quota = try await cachedQuota(tenant: request.tenant, user: request.user)
        var cycle = quota.config.schedule.cycle(containing: await clock.now(client))
        let defaults = quota.tenantDefault
        var reply = RedisReply.null
        for attempt in 1...Self.cycleAttempts {
            reply = try await run(
                QuotaScripts.reserve,
                keys: [
                    keys.cycle(cycle.id), keys.reservations, keys.reservationExpiry, keys.quota, keys.reservationTotals,
                    keys.dedupe(id),
                ],
                arguments: [
                    Self.milliseconds(cycle.start), id, request.tokens, request.costNanoUSD, request.ttlSeconds * 1000,
                    defaults.tokens.map(String.init) ?? "", defaults.costNanoUSD.map(String.init) ?? "",
                    defaults.requests.map(String.init) ?? "", Self.milliseconds(cycle.end),
                    settings.maximumActiveReservationsPerUser,
                ]
            )
            guard let redisNow = redisTimeOfCycleRefusal(reply) else { break }
            guard attempt < Self.cycleAttempts else { throw unexpectedReply(script: "reserve", reply) }
            cycle = quota.config.schedule.cycle(containing: Date(timeIntervalSince1970: Double(redisNow) / 1000))
        }
        guard let parts = reply.array, let ok = parts.first?.int else { throw unexpectedReply(script: "reserve", reply) }
        if ok == -4 {
            throw QuotaError(.conflict, "reservation \(id) was already committed; reserve with a new reservation_id")
        }
        if ok == -5 {
            throw QuotaError(
                .tooManyReservations,
                "user '\(request.user)' holds \(settings.maximumActiveReservationsPerUser) active reservations, the most allowed; commit or release some first"
            )
        }
        if ok == 1, parts.count == 3, let reservedID = parts[1].text, let expiresMs = parts[2].int {
            return .reserved(Reservation(
                id: reservedID, expiresAt: Date(timeIntervalSince1970: Double(expiresMs) / 1000),
                tokens: request.tokens, costNanoUSD: request.costNanoUSD
            ))
        }
        guard parts.count == 8, let name = parts[1].text, let kind = LimitKind(rawValue: name),
              let limit = parts[2].int, let used = parts[3].int, let reserved = parts[4].int, let requested = parts[5].int,
              let redisNow = parts[7].int
        else { throw unexpectedReply(script: "reserve", reply) }
        clock.observe(redisMilliseconds: redisNow)
        // The earliest moment the request could fit, by Redis's clock: when enough reservations have
        // expired, else the reset.
        var retryAfter = quota.config.schedule.secondsUntilReset(from: Date(timeIntervalSince1970: Double(redisNow) / 1000))
        if let retryMs = parts[6].int {
            let untilExpiry = max(1, Int((Double(retryMs - redisNow) / 1000).rounded(.up)))
            retryAfter = min(retryAfter, untilExpiry)
        }
        return .rejected(QuotaRejection(
            limit: kind, limitValue: limit, used: used, reserved: reserved, requested: requested,
            retryAfterSeconds: retryAfter, resetsAt: cycle.end, cycleID: cycle.id
        ))
    }

    public func release(tenant: String, user: String, reservationID: String) async throws(QuotaError) -> Bool {
        try Identifier.validateName(tenant, field: "tenant")
        try Identifier.validateName(user, field: "user")
        try Identifier.validateEventID(reservationID, field: "reservation_id")
        let keys = QuotaKeys(tenant: tenant, user: user)
        let reply = try await run(
            QuotaScripts.release, keys: [keys.reservations, keys.reservationExpiry, keys.reservationTotals],
            arguments: [0, reservationID]
        )
        return reply.int == 1
    }

    /// The owner named in the id when the reservation is held or was committed (a retried commit is then
    /// answered as a duplicate); nil when it never existed or expired unused.
    public func reservationOwner(tenant: String, reservationID: String) async throws(QuotaError) -> String? {
        guard let owner = ReservationID.owner(of: reservationID) else { return nil }
        try Identifier.validateName(tenant, field: "tenant")
        let keys = QuotaKeys(tenant: tenant, user: owner)
        let held = try await redis { () async throws(RedisError) -> RedisReply in
            try await client.send("HEXISTS", keys.reservations, reservationID)
        }
        if held.int == 1 { return owner }
        let committed = try await redis { () async throws(RedisError) -> RedisReply in
            try await client.send("EXISTS", keys.dedupe(reservationID))
        }
        return committed.int == 1 ? owner : nil
    }

    // MARK: Reads

    public func usage(tenant: String, user: String, cycleID: String?, now: Date) async throws(QuotaError) -> UserUsage {
        try Identifier.validateName(tenant, field: "tenant")
        try Identifier.validateName(user, field: "user")
        let quota = try await cachedQuota(tenant: tenant, user: user)
        let cycle: BillingCycle
        if let cycleID {
            do { cycle = try quota.config.schedule.cycle(id: cycleID) } catch {
                throw QuotaError(.invalidArgument, "cycle '\(cycleID)': \(error.message)")
            }
        } else {
            cycle = quota.config.schedule.cycle(containing: now)
        }
        let keys = QuotaKeys(tenant: tenant, user: user)
        let reply = try await run(
            QuotaScripts.read, keys: [keys.cycle(cycle.id), keys.reservations, keys.reservationExpiry, keys.reservationTotals],
            arguments: []
        )
        guard let parts = reply.array, parts.count == 4, let flat = parts[0].array else { throw unexpectedReply(script: "read", reply) }
        var totalsFields: [String: Int] = [:]
        var modelFields: [String: [String: Int]] = [:]
        var index = 0
        while index + 1 < flat.count {
            if let field = flat[index].text, let value = flat[index + 1].int {
                if let bar = field.lastIndex(of: "|") {
                    modelFields[String(field[..<bar]), default: [:]][String(field[field.index(after: bar)...])] = value
                } else {
                    totalsFields[field] = value
                }
            }
            index += 2
        }
        let isCurrent = cycle.contains(now)
        return UserUsage(
            user: user, cycle: cycle, totals: Self.totals(from: totalsFields),
            models: modelFields.mapValues(Self.totals(from:)),
            reserved: isCurrent ? ReservedAmounts(tokens: parts[1].int ?? 0, costNanoUSD: parts[2].int ?? 0, requests: parts[3].int ?? 0) : ReservedAmounts(),
            limits: quota.config.limits
        )
    }

    public func report(tenant: String, cycleID: String?, now: Date) async throws(QuotaError) -> TenantReport {
        try Identifier.validateName(tenant, field: "tenant")
        let id: String
        if let cycleID {
            id = cycleID
        } else {
            id = try await defaultQuota(tenant: tenant).schedule.cycle(containing: now).id
        }
        guard id.utf8.count <= 32, id.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || $0 == UInt8(ascii: "-") }) else {
            throw QuotaError(.invalidArgument, "cycle id '\(id)' is not of the form YYYY-MM-DD")
        }
        let members = try await redis { () async throws(RedisError) -> RedisReply in
            try await client.send("SMEMBERS", QuotaKeys.tenantUsers(tenant, cycle: id))
        }
        let users = (members.array ?? []).compactMap(\.text).sorted()
        var rows: [UserUsage] = []
        for user in users {
            // A user whose schedule has no cycle with this id (anchor changed since) is reported from the
            // cycle containing the id's date instead of failing the whole report.
            do {
                rows.append(try await usage(tenant: tenant, user: user, cycleID: id, now: now))
            } catch where error.code == .invalidArgument {
                logger.debug("report: user has no cycle with this id", metadata: ["quota.user": "\(user)", "quota.cycle": "\(id)"])
            }
        }
        // Each user's totals stay below 2^53, but a tenant's sum can pass Int.max: it saturates (flagged).
        var totals = UsageTotals()
        var saturated = false
        for row in rows {
            let sum = totals.adding(row.totals)
            totals = sum.sum
            saturated = saturated || sum.saturated
        }
        if saturated {
            logger.warning("report totals saturated at Int.max", metadata: ["quota.tenant": "\(tenant)", "quota.cycle": "\(id)"])
        }
        return TenantReport(tenant: tenant, cycleID: id, users: rows, totals: totals, totalsSaturated: saturated)
    }

    // MARK: Quotas

    public func quota(tenant: String, user: String) async throws(QuotaError) -> (config: QuotaConfig, isUserSpecific: Bool) {
        try Identifier.validateName(tenant, field: "tenant")
        try Identifier.validateName(user, field: "user")
        let loaded = try await loadQuota(tenant: tenant, user: user)
        return (loaded.config, loaded.isUserSpecific)
    }

    public func setQuota(tenant: String, user: String, _ config: QuotaConfig?, now: Date) async throws(QuotaError) {
        try Identifier.validateName(tenant, field: "tenant")
        try Identifier.validateName(user, field: "user")
        let keys = QuotaKeys(tenant: tenant, user: user)
        var fields: [any RedisArgument] = []
        if let config {
            try Self.validate(config.limits)
            let current = try await loadQuota(tenant: tenant, user: user)
            let schedule = Self.schedule(changingFrom: current.config.schedule, to: config.schedule, at: now)
            fields = Self.fields(for: QuotaConfig(limits: config.limits, schedule: schedule)) + ["own", 1]
        }
        _ = try await run(QuotaScripts.replaceHash, keys: [keys.quota], arguments: fields)
        _ = quotaCache.withLock { $0.removeValue(forKey: Self.cacheKey(tenant, user)) }
    }

    public func defaultQuota(tenant: String) async throws(QuotaError) -> QuotaConfig {
        try Identifier.validateName(tenant, field: "tenant")
        let reply = try await redis { () async throws(RedisError) -> RedisReply in
            try await client.send("HGETALL", QuotaKeys.tenantDefault(tenant))
        }
        return try Self.config(fromFlat: reply.array ?? []) ?? QuotaConfig()
    }

    public func setDefaultQuota(tenant: String, _ config: QuotaConfig, now: Date) async throws(QuotaError) {
        try Identifier.validateName(tenant, field: "tenant")
        try Self.validate(config.limits)
        let current = try await defaultQuota(tenant: tenant)
        let schedule = Self.schedule(changingFrom: current.schedule, to: config.schedule, at: now)
        let fields = Self.fields(for: QuotaConfig(limits: config.limits, schedule: schedule))
        _ = try await run(QuotaScripts.replaceHash, keys: [QuotaKeys.tenantDefault(tenant)], arguments: fields)
        quotaCache.withLock { cache in cache = cache.filter { !$0.key.hasPrefix(tenant + "/") } }
    }

    // MARK: Internals

    private func cachedQuota(tenant: String, user: String) async throws(QuotaError) -> CachedQuota {
        let key = Self.cacheKey(tenant, user)
        let now = monotonicMilliseconds()
        if settings.quotaCacheMilliseconds > 0,
           let hit = quotaCache.withLock({ $0[key] }), now &- hit.loadedAt < UInt64(settings.quotaCacheMilliseconds) {
            return hit
        }
        let loaded = try await loadQuota(tenant: tenant, user: user)
        if settings.quotaCacheMilliseconds > 0 {
            quotaCache.withLock { cache in
                if cache.count > 100_000 { cache.removeAll(keepingCapacity: true) }
                cache[key] = loaded
            }
        }
        return loaded
    }

    private func loadQuota(tenant: String, user: String) async throws(QuotaError) -> CachedQuota {
        let keys = QuotaKeys(tenant: tenant, user: user)
        let own = try await redis { () async throws(RedisError) -> RedisReply in try await client.send("HGETALL", keys.quota) }
        let tenantDefault = try await defaultQuota(tenant: tenant)
        if let config = try Self.config(fromFlat: own.array ?? []) {
            return CachedQuota(config: config, isUserSpecific: true, tenantDefault: tenantDefault.limits, loadedAt: monotonicMilliseconds())
        }
        return CachedQuota(config: tenantDefault, isUserSpecific: false, tenantDefault: tenantDefault.limits, loadedAt: monotonicMilliseconds())
    }

    private func index(tenant: String, user: String, cycle: BillingCycle) async throws(QuotaError) {
        let marker = tenant + "/" + user + "/" + cycle.id
        if indexed.withLock({ $0.contains(marker) }) { return }
        let key = QuotaKeys.tenantUsers(tenant, cycle: cycle.id)
        _ = try await redis { () async throws(RedisError) -> RedisReply in try await client.send("SADD", key, user) }
        _ = try await redis { () async throws(RedisError) -> RedisReply in try await client.send("EXPIREAT", key, expireAt(cycle)) }
        indexed.withLock { set in
            if set.count > 200_000 { set.removeAll(keepingCapacity: true) }
            set.insert(marker)
        }
    }

    private func expireAt(_ cycle: BillingCycle) -> Int {
        let length = max(1, cycle.end.timeIntervalSince(cycle.start))
        return Int(cycle.end.timeIntervalSince1970 + length * Double(settings.historyCycles)) + 1
    }

    private func run(_ script: RedisScript, keys: [String], arguments: [any RedisArgument]) async throws(QuotaError) -> RedisReply {
        try await redis { () async throws(RedisError) -> RedisReply in
            try await client.evaluate(script, keys: keys, arguments: arguments)
        }
    }

    static func cacheKey(_ tenant: String, _ user: String) -> String { tenant + "/" + user }

    static func milliseconds(_ date: Date) -> Int { Int((date.timeIntervalSince1970 * 1000).rounded(.down)) }

    /// Redis's time from a script's `{-3, now}` refusal of the estimated cycle (learned by ``clock``), or nil.
    func redisTimeOfCycleRefusal(_ reply: RedisReply) -> Int? {
        guard let parts = reply.array, parts.count == 2, parts[0].int == -3, let now = parts[1].int else { return nil }
        clock.observe(redisMilliseconds: now)
        return now
    }

    static func validate(_ limits: QuotaLimits) throws(QuotaError) {
        for (name, value) in [("tokens", limits.tokens), ("cost", limits.costNanoUSD), ("requests", limits.requests)] {
            if let value, value < 0 || value > 9_000_000_000_000_000 {
                throw QuotaError(.invalidArgument, "limit \(name) must be between 0 and 9e15 (got \(value))")
            }
        }
    }

    static func schedule(changingFrom current: CycleSchedule, to requested: CycleSchedule, at now: Date) -> CycleSchedule {
        if requested.policy == current.policy { return current }
        return CycleSchedule.changing(from: current, to: requested.policy, at: now)
    }

    static func fields(for config: QuotaConfig) -> [any RedisArgument] {
        var fields: [any RedisArgument] = []
        if let tokens = config.limits.tokens { fields += ["tokens", tokens] }
        if let cost = config.limits.costNanoUSD { fields += ["cost", cost] }
        if let requests = config.limits.requests { fields += ["requests", requests] }
        fields += ["anchor", config.schedule.policy.anchorDay, "tz", config.schedule.policy.timeZoneIdentifier]
        if let transition = config.schedule.transition {
            fields += ["tr_id", transition.id, "tr_start", milliseconds(transition.start), "tr_end", milliseconds(transition.end)]
        }
        return fields
    }

    static func config(fromFlat flat: [RedisReply]) throws(QuotaError) -> QuotaConfig? {
        guard !flat.isEmpty else { return nil }
        var map: [String: String] = [:]
        var index = 0
        while index + 1 < flat.count {
            if let key = flat[index].text, let value = flat[index + 1].text { map[key] = value }
            index += 2
        }
        let limits = QuotaLimits(tokens: map["tokens"].flatMap(Int.init), costNanoUSD: map["cost"].flatMap(Int.init), requests: map["requests"].flatMap(Int.init))
        do {
            let policy = try CyclePolicy(anchorDay: map["anchor"].flatMap(Int.init) ?? 1, timeZoneIdentifier: map["tz"] ?? "UTC")
            var transition: CycleSchedule.Transition?
            if let id = map["tr_id"], let start = map["tr_start"].flatMap(Int.init), let end = map["tr_end"].flatMap(Int.init) {
                transition = .init(id: id, start: Date(timeIntervalSince1970: Double(start) / 1000), end: Date(timeIntervalSince1970: Double(end) / 1000))
            }
            return QuotaConfig(limits: limits, schedule: try CycleSchedule(policy: policy, transition: transition))
        } catch {
            throw QuotaError(.internalError, "stored quota is invalid: \(error.message)")
        }
    }
}

@inline(__always)
private func monotonicMilliseconds() -> UInt64 {
    DispatchTime.now().uptimeNanoseconds / 1_000_000
}
