import AsyncRedis
public import Foundation
import Synchronization
import TokenAccounting

/// Quotas of every subject (user, group, tenant aggregate, tenant default), and the cache of the quotas
/// that apply to a user.
extension RedisQuotaRepository {
    public func quota(tenant: String, user: String) async throws(QuotaError) -> (config: QuotaConfig, isUserSpecific: Bool) {
        try Identifier.validateTenant(tenant)
        try Identifier.validateName(user, field: "user")
        let loaded = try await loadContext(tenant: tenant, user: user)
        return (loaded.user, loaded.isUserSpecific)
    }

    public func setQuota(tenant: String, user: String, _ config: QuotaConfig?, now: Date) async throws(QuotaError) {
        try await setQuota(tenant: tenant, subject: .user(user), config, now: now)
    }

    public func defaultQuota(tenant: String) async throws(QuotaError) -> QuotaConfig {
        try await quota(tenant: tenant, subject: .tenantDefault) ?? QuotaConfig()
    }

    public func setDefaultQuota(tenant: String, _ config: QuotaConfig, now: Date) async throws(QuotaError) {
        try await setQuota(tenant: tenant, subject: .tenantDefault, config, now: now)
    }

    public func quota(tenant: String, subject: QuotaSubject) async throws(QuotaError) -> QuotaConfig? {
        try Self.validate(tenant: tenant, subject: subject)
        let key = QuotaKeys(tenant: tenant).quota(subject)
        let reply = try await redis { () async throws(RedisError) -> RedisReply in try await client.send("HGETALL", key) }
        return try Self.config(fromFlat: reply.array ?? [])
    }

    public func setQuota(tenant: String, subject: QuotaSubject, _ config: QuotaConfig?, now: Date) async throws(QuotaError) {
        try Self.validate(tenant: tenant, subject: subject)
        let keys = QuotaKeys(tenant: tenant)
        if let config {
            try Self.validate(config)
            if case .user = subject {} else if config.group != nil {
                throw QuotaError(.invalidArgument, "only a user's quota names a group")
            }
            // A policy change keeps the running cycle (see CycleSchedule.changing); the running cycle is the
            // one of the schedule in force for the subject now (a user without their own: the default's).
            let current: CycleSchedule
            switch subject {
            case .user(let user): current = try await loadContext(tenant: tenant, user: user).user.schedule
            case .group:
                if let stored = try await quota(tenant: tenant, subject: subject) {
                    current = stored.schedule
                } else {
                    current = try await tenantSchedule(tenant: tenant)
                }
            case .tenant: current = try await tenantSchedule(tenant: tenant)
            case .tenantDefault: current = try await quota(tenant: tenant, subject: subject)?.schedule ?? CycleSchedule()
            }
            var stored = config
            stored.schedule = Self.schedule(changingFrom: current, to: config.schedule, at: now)
            var fields = Self.fields(for: stored)
            if case .user = subject { fields += ["own", 1] }
            var scriptKeys = [keys.quotaEpoch, keys.quota(subject)]
            // A subject with nothing recorded in the running cycle starts on the new policy at once: the
            // script drops the transition when that cycle's usage hash does not exist (checked atomically with
            // the write, so a record racing the change either lands before it and keeps the cycle, or sees the
            // new quota epoch and uses the new schedule).
            if stored.schedule.policy != current.policy, let usageKey = Self.usageKey(of: subject, keys, cycle: current.cycle(containing: now).id) {
                scriptKeys.append(usageKey)
            }
            _ = try await run(QuotaScripts.replaceQuota, keys: scriptKeys, arguments: fields)
        } else if case .user(let user) = subject {
            // Removing a user's own quota removes their limits and never resets usage: the user falls back to
            // the tenant default, whose running cycle must be the one the user's spend is counted in. When the
            // user's own cycle differs from the default's, removing it would start a fresh cycle (a bonus
            // budget), so it is refused; an explicit reset is `resetUsage`.
            let context = try await loadContext(tenant: tenant, user: user)
            guard context.isUserSpecific else { return }
            let defaultSchedule = try await quota(tenant: tenant, subject: .tenantDefault)?.schedule ?? CycleSchedule()
            let ownCycle = context.user.schedule.cycle(containing: now)
            let defaultCycle = defaultSchedule.cycle(containing: now)
            guard ownCycle.id == defaultCycle.id, ownCycle.end == defaultCycle.end else {
                throw QuotaError(
                    .conflict,
                    "user '\(user)' is on their own billing cycle (\(ownCycle.id), unlike the default's \(defaultCycle.id)); removing the quota "
                        + "would start the user on a fresh cycle and budget. PUT the quota with the default's cycle first (the running cycle "
                        + "is kept until its end), or reset explicitly with POST …/users/\(user)/usage/reset"
                )
            }
            _ = try await run(QuotaScripts.replaceQuota, keys: [keys.quotaEpoch, keys.userQuota(user)], arguments: [])
        } else if let stored = try await quota(tenant: tenant, subject: subject) {
            // Removing a group's, the tenant's or the default quota removes its limits. Its cycles continue
            // unless they already are the ones it falls back to, so that removing a quota never resets usage
            // either (the running cycle would otherwise change its id).
            let fallback: CycleSchedule
            switch subject {
            case .group: fallback = try await tenantSchedule(tenant: tenant)
            case .tenant: fallback = try await quota(tenant: tenant, subject: .tenantDefault)?.schedule ?? CycleSchedule()
            default: fallback = CycleSchedule()
            }
            let fields = stored.schedule == fallback ? [] : Self.fields(for: QuotaConfig(schedule: stored.schedule))
            _ = try await run(QuotaScripts.replaceQuota, keys: [keys.quotaEpoch, keys.quota(subject)], arguments: fields)
        }
        switch subject {
        case .user(let user): forget(tenant: tenant, user: user)
        default: forget(tenant: tenant)
        }
    }

    // MARK: Context cache

    func userContext(tenant: String, user: String) async throws(QuotaError) -> UserContext {
        let key = tenant + "/" + user
        let now = monotonicMilliseconds()
        if settings.quotaCacheMilliseconds > 0,
           let hit = contexts.withLock({ $0[key] }), now &- hit.loadedAt < UInt64(settings.quotaCacheMilliseconds) {
            return hit
        }
        let loaded = try await loadContext(tenant: tenant, user: user)
        if settings.quotaCacheMilliseconds > 0 {
            contexts.withLock { cache in
                if cache.count > 100_000 { cache.removeAll(keepingCapacity: true) }
                cache[key] = loaded
            }
        }
        return loaded
    }

    func loadContext(tenant: String, user: String) async throws(QuotaError) -> UserContext {
        // The user's, the default and the aggregate quota with the tenant's quota epoch, in one atomic read:
        // a quota changed after it changes the epoch, which the next write script notices.
        let keys = QuotaKeys(tenant: tenant)
        let reply = try await run(
            QuotaScripts.context, keys: [keys.quotaEpoch, keys.userQuota(user), keys.tenantDefault, keys.tenantQuota], arguments: []
        )
        guard let parts = reply.array, parts.count == 4, let epoch = parts[0].text else {
            throw unexpectedReply(script: "context", reply)
        }
        var configs: [QuotaConfig?] = []
        for hash in parts.dropFirst() {
            configs.append(try Self.config(fromFlat: hash.array ?? []))
        }
        let own = configs[0]
        let tenantDefault = configs[1] ?? QuotaConfig()
        let aggregate = configs[2]
        // The tenant's cycles: its aggregate quota's schedule, else the per-user default's.
        var tenantConfig = aggregate ?? QuotaConfig()
        if aggregate == nil { tenantConfig.schedule = tenantDefault.schedule }
        var groupConfig: QuotaConfig?
        if let group = own?.group {
            groupConfig = try await quota(tenant: tenant, subject: .group(group)) ?? QuotaConfig(schedule: tenantConfig.schedule)
        }
        return UserContext(
            user: own ?? tenantDefault, isUserSpecific: own != nil, groupConfig: groupConfig, tenant: tenantConfig,
            epoch: epoch, loadedAt: monotonicMilliseconds()
        )
    }

    public func tenantSchedule(tenant: String) async throws(QuotaError) -> CycleSchedule {
        try Identifier.validateTenant(tenant)
        if let aggregate = try await quota(tenant: tenant, subject: .tenant) { return aggregate.schedule }
        return try await quota(tenant: tenant, subject: .tenantDefault)?.schedule ?? CycleSchedule()
    }

    func forget(tenant: String, user: String) {
        _ = contexts.withLock { $0.removeValue(forKey: tenant + "/" + user) }
    }

    func forget(tenant: String) {
        contexts.withLock { cache in cache = cache.filter { !$0.key.hasPrefix(tenant + "/") } }
    }

    // MARK: Encoding

    static func validate(tenant: String, subject: QuotaSubject) throws(QuotaError) {
        try Identifier.validateTenant(tenant)
        switch subject {
        case .user(let user): try Identifier.validateName(user, field: "user")
        case .group(let group): try Identifier.validateName(group, field: "group")
        case .tenant, .tenantDefault: break
        }
    }

    /// The largest limit accepted (below the 2^53 bound of stored totals).
    static let maximumLimit = 9_000_000_000_000_000

    static func validate(_ config: QuotaConfig) throws(QuotaError) {
        let limits = config.limits
        let named: [(String, Int?)] = [("tokens", limits.tokens), ("cost", limits.costNanoUSD), ("requests", limits.requests)]
            + config.rate.all.map { ($0.kind.rawValue, $0.value) }
        for (name, value) in named {
            if let value, value < 0 || value > maximumLimit {
                throw QuotaError(.invalidArgument, "limit \(name) must be between 0 and 9e15 (got \(value))")
            }
        }
        if let group = config.group { try Identifier.validateName(group, field: "group") }
        let thresholds = config.alertThresholds
        if thresholds.count > 10 {
            throw QuotaError(.invalidArgument, "alerts.thresholds_percent holds at most 10 thresholds (got \(thresholds.count))")
        }
        if let bad = thresholds.first(where: { !(1...100).contains($0) }) {
            throw QuotaError(.invalidArgument, "alerts.thresholds_percent must hold percents between 1 and 100 (got \(bad))")
        }
        if Set(thresholds).count != thresholds.count {
            throw QuotaError(.invalidArgument, "alerts.thresholds_percent holds a threshold twice")
        }
    }

    /// The usage hash of `subject`'s cycle `cycle`; nil for the tenant default (many users share its schedule).
    static func usageKey(of subject: QuotaSubject, _ keys: QuotaKeys, cycle: String) -> String? {
        switch subject {
        case .user(let user): keys.userCycle(user, cycle)
        case .group(let group): keys.groupCycle(group, cycle)
        case .tenant: keys.tenantCycle(cycle)
        case .tenantDefault: nil
        }
    }

    static func schedule(changingFrom current: CycleSchedule, to requested: CycleSchedule, at now: Date) -> CycleSchedule {
        if requested.policy == current.policy { return current }
        return CycleSchedule.changing(from: current, to: requested.policy, at: now)
    }

    /// Hash field names of the rolling-window limits.
    static let rateFields: [(LimitKind, String)] = [
        (.tokensPerMinute, "tpm"), (.requestsPerMinute, "rpm"), (.tokensPerHour, "tph"), (.requestsPerHour, "rph"),
        (.tokensPerDay, "tpd"), (.requestsPerDay, "rpd"),
    ]

    static func fields(for config: QuotaConfig) -> [any RedisArgument] {
        var fields: [any RedisArgument] = []
        if let tokens = config.limits.tokens { fields += ["tokens", tokens] }
        if let cost = config.limits.costNanoUSD { fields += ["cost", cost] }
        if let requests = config.limits.requests { fields += ["requests", requests] }
        for (kind, field) in rateFields {
            if let value = config.rate[kind] { fields += [field, value] }
        }
        if let group = config.group { fields += ["group", group] }
        if !config.alertThresholds.isEmpty { fields += ["al", config.alertThresholds.sorted().map(String.init).joined(separator: ",")] }
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
        let rate = RateLimits(
            tokensPerMinute: map["tpm"].flatMap(Int.init), requestsPerMinute: map["rpm"].flatMap(Int.init),
            tokensPerHour: map["tph"].flatMap(Int.init), requestsPerHour: map["rph"].flatMap(Int.init),
            tokensPerDay: map["tpd"].flatMap(Int.init), requestsPerDay: map["rpd"].flatMap(Int.init)
        )
        do {
            let policy = try CyclePolicy(anchorDay: map["anchor"].flatMap(Int.init) ?? 1, timeZoneIdentifier: map["tz"] ?? "UTC")
            var transition: CycleSchedule.Transition?
            if let id = map["tr_id"], let start = map["tr_start"].flatMap(Int.init), let end = map["tr_end"].flatMap(Int.init) {
                transition = .init(id: id, start: Date(timeIntervalSince1970: Double(start) / 1000), end: Date(timeIntervalSince1970: Double(end) / 1000))
            }
            let thresholds = (map["al"] ?? "").split(separator: ",").compactMap { Int($0) }
            return QuotaConfig(
                limits: limits, rate: rate, schedule: try CycleSchedule(policy: policy, transition: transition), group: map["group"],
                alertThresholds: thresholds
            )
        } catch {
            throw QuotaError(.internalError, "stored quota is invalid: \(error.message)")
        }
    }
}

@inline(__always)
func monotonicMilliseconds() -> UInt64 {
    DispatchTime.now().uptimeNanoseconds / 1_000_000
}
