import AsyncRedis
public import Foundation
import TokenAccounting

/// Views: a user (with their group's and tenant's state), a group or the tenant, and the tenant report.
extension RedisQuotaRepository {
    public func usage(tenant: String, user: String, cycleID: String?, now: Date) async throws(QuotaError) -> UserUsage {
        try Identifier.validateTenant(tenant)
        try Identifier.validateName(user, field: "user")
        let context = try await loadContext(tenant: tenant, user: user)
        let keys = QuotaKeys(tenant: tenant)
        let cycle = try Self.cycle(cycleID, of: context.user.schedule, now: now)
        let own = try await readLevel(
            keys, level: .user, id: user, cycle: cycle, cycleKey: keys.userCycle(user, cycle.id), windowKey: keys.userWindows(user),
            quotaKey: context.isUserSpecific ? keys.userQuota(user) : keys.tenantDefault, config: context.user, now: now
        )
        // The group's and the tenant's current cycles, from the quotas the context already loaded.
        var levels: [LevelUsage] = []
        if let group = context.group, let config = context.groupConfig {
            let current = config.schedule.cycle(containing: now)
            levels.append(try await readLevel(
                keys, level: .group, id: group, cycle: current, cycleKey: keys.groupCycle(group, current.id),
                windowKey: keys.groupWindows(group), quotaKey: keys.groupQuota(group), config: config, now: now
            ))
        }
        let tenantCycle = context.tenant.schedule.cycle(containing: now)
        levels.append(try await readLevel(
            keys, level: .tenant, id: tenant, cycle: tenantCycle, cycleKey: keys.tenantCycle(tenantCycle.id),
            windowKey: keys.tenantWindows, quotaKey: keys.tenantQuota, config: context.tenant, now: now
        ))
        return UserUsage(
            user: user, cycle: cycle, totals: own.totals, models: own.models, reserved: own.reserved, limits: own.limits, rate: own.rate,
            windows: own.windows, group: context.group, levels: levels
        )
    }

    public func usage(tenant: String, subject: QuotaSubject, cycleID: String?, now: Date) async throws(QuotaError) -> LevelUsage {
        try Self.validate(tenant: tenant, subject: subject)
        let keys = QuotaKeys(tenant: tenant)
        let tenantSchedule = try await tenantSchedule(tenant: tenant)
        switch subject {
        case .group(let group):
            let config = try await quota(tenant: tenant, subject: subject) ?? QuotaConfig(schedule: tenantSchedule)
            let cycle = try Self.cycle(cycleID, of: config.schedule, now: now)
            return try await readLevel(
                keys, level: .group, id: group, cycle: cycle, cycleKey: keys.groupCycle(group, cycle.id), windowKey: keys.groupWindows(group),
                quotaKey: keys.groupQuota(group), config: config, now: now
            )
        case .tenant:
            var config = try await quota(tenant: tenant, subject: .tenant) ?? QuotaConfig()
            config.schedule = tenantSchedule
            let cycle = try Self.cycle(cycleID, of: tenantSchedule, now: now)
            return try await readLevel(
                keys, level: .tenant, id: tenant, cycle: cycle, cycleKey: keys.tenantCycle(cycle.id), windowKey: keys.tenantWindows,
                quotaKey: keys.tenantQuota, config: config, now: now
            )
        case .user, .tenantDefault:
            throw QuotaError(.invalidArgument, "level usage is for the tenant or a group; use usage(tenant:user:) for a user")
        }
    }

    public func report(tenant: String, cycleID: String?, now: Date) async throws(QuotaError) -> TenantReport {
        try Identifier.validateTenant(tenant)
        let keys = QuotaKeys(tenant: tenant)
        let cycle = try Self.cycle(cycleID, of: try await tenantSchedule(tenant: tenant), now: now)
        let rowsKey = keys.reportRows(cycle.id)
        let totalsKey = keys.tenantCycle(cycle.id)
        let rows = try await redis { () async throws(RedisError) -> RedisReply in try await client.send("HGETALL", rowsKey) }
        let tenantHash = try await redis { () async throws(RedisError) -> RedisReply in try await client.send("HGETALL", totalsKey) }
        var users: [String: [String: Int]] = [:]
        var groups: [String: [String: Int]] = [:]
        var resets: [UsageReset] = []
        // Rows are `u|<user>` / `g|<group>` fields holding the counts of ``UsageField/rowFields`` separated by
        // spaces; rows migrated from schema v1 are `u|<user>|<field>` fields. Both add up.
        let flat = rows.array ?? []
        var index = 0
        while index + 1 < flat.count {
            defer { index += 2 }
            guard let field = flat[index].text, let value = flat[index + 1].text else { continue }
            let parts = field.split(separator: "|", omittingEmptySubsequences: false)
            if parts.count == 3, parts[0] == "z", let at = Int(parts[2]) {
                let record = value.split(separator: "|", omittingEmptySubsequences: false)
                if record.count == 3 {
                    resets.append(UsageReset(
                        user: String(parts[1]), at: Date(timeIntervalSince1970: Double(at) / 1000), by: String(record[0]),
                        tokens: Int(record[1]) ?? 0, costNanoUSD: Int(record[2]) ?? 0
                    ))
                }
                continue
            }
            guard parts.count >= 2, parts[0] == "u" || parts[0] == "g" else { continue }
            var counts: [String: Int] = [:]
            if parts.count == 3 {
                counts[String(parts[2])] = Int(value) ?? 0
            } else if parts.count == 2 {
                for (name, number) in zip(Self.reportRowFields, value.split(separator: " ")) { counts[name] = Int(number) ?? 0 }
            }
            for (name, number) in counts {
                if parts[0] == "u" { users[String(parts[1]), default: [:]][name, default: 0] += number }
                if parts[0] == "g" { groups[String(parts[1]), default: [:]][name, default: 0] += number }
            }
        }
        let (totals, models) = Self.totalsAndModels(tenantHash.array ?? [])
        return TenantReport(
            tenant: tenant, cycle: cycle,
            users: users.keys.sorted().map { ReportRow(id: $0, totals: Self.totals(from: users[$0] ?? [:])) },
            groups: groups.keys.sorted().map { ReportRow(id: $0, totals: Self.totals(from: groups[$0] ?? [:])) },
            models: models, totals: totals, resets: resets.sorted { ($0.at, $0.user) < ($1.at, $1.user) }
        )
    }

    // MARK: Internals

    /// The counts of a packed report row, in order (see `record.lua`).
    static let reportRowFields = UsageField.rowFields.map(\.rawValue)

    func readLevel(
        _ keys: QuotaKeys, level: QuotaLevel, id: String, cycle: BillingCycle, cycleKey: String, windowKey: String, quotaKey: String,
        config: QuotaConfig, now: Date
    ) async throws(QuotaError) -> LevelUsage {
        let scope = QuotaKeys.reservationScope(level, id)
        let reply = try await run(
            QuotaScripts.read, keys: [keys.reservations, keys.reservationExpiry, keys.reservationTotals, cycleKey, windowKey, quotaKey],
            arguments: [scope]
        )
        guard let parts = reply.array, parts.count == 6, let flat = parts[0].array, let state = parts[4].array else {
            throw unexpectedReply(script: "read", reply)
        }
        let (totals, models) = Self.totalsAndModels(flat)
        var windows: [WindowUsage] = []
        var index = 0
        while index + 2 < state.count {
            let seconds = ["minute": 60, "hour": 3600, "day": 86400][state[index].text ?? ""] ?? 0
            windows.append(WindowUsage(seconds: seconds, tokens: state[index + 1].int ?? 0, requests: state[index + 2].int ?? 0))
            index += 3
        }
        let isCurrent = cycle.contains(now)
        return LevelUsage(
            level: level, id: id, cycle: cycle, totals: totals, models: level == .group ? [:] : models,
            reserved: isCurrent ? ReservedAmounts(tokens: parts[1].int ?? 0, costNanoUSD: parts[2].int ?? 0, requests: parts[3].int ?? 0) : ReservedAmounts(),
            limits: config.limits, rate: config.rate, windows: windows, overLimitEvents: Self.fieldValue(flat, "ovr")
        )
    }

    static func cycle(_ id: String?, of schedule: CycleSchedule, now: Date) throws(QuotaError) -> BillingCycle {
        guard let id else { return schedule.cycle(containing: now) }
        do {
            return try schedule.cycle(id: id)
        } catch {
            throw QuotaError(.invalidArgument, "cycle '\(id.prefix(40))': \(error.message)")
        }
    }

    static func pairs(_ flat: [RedisReply]) -> [(String, Int)] {
        var result: [(String, Int)] = []
        var index = 0
        while index + 1 < flat.count {
            if let field = flat[index].text, let value = flat[index + 1].int { result.append((field, value)) }
            index += 2
        }
        return result
    }

    static func fieldValue(_ flat: [RedisReply], _ name: String) -> Int {
        pairs(flat).first { $0.0 == name }?.1 ?? 0
    }

    /// A cycle hash's totals and its per-model breakdown: `#<n>|<field>` fields with `@<model>` = n naming
    /// the model once per hash, and `<model>|<field>` fields written by schema v1 (migrated), added up
    /// (alert markers `!<limit>|<percent>` are skipped).
    static func totalsAndModels(_ flat: [RedisReply]) -> (UsageTotals, [String: UsageTotals]) {
        var totalsFields: [String: Int] = [:]
        var modelFields: [String: [String: Int]] = [:]
        var indexed: [String: [String: Int]] = [:]
        var names: [String: String] = [:]
        for (field, value) in pairs(flat) {
            // `!<limit>|<percent>`: the marker of an alert threshold already crossed this cycle.
            if field.hasPrefix("!") { continue }
            if field.hasPrefix("@") {
                names["#\(value)"] = String(field.dropFirst())
            } else if let bar = field.lastIndex(of: "|") {
                let owner = String(field[..<bar])
                let name = String(field[field.index(after: bar)...])
                if owner.hasPrefix("#") {
                    indexed[owner, default: [:]][name] = value
                } else {
                    modelFields[owner, default: [:]][name, default: 0] += value
                }
            } else if field != "#" {
                totalsFields[field] = value
            }
        }
        for (index, fields) in indexed {
            guard let model = names[index] else { continue }
            for (name, value) in fields { modelFields[model, default: [:]][name, default: 0] += value }
        }
        return (totals(from: totalsFields), modelFields.mapValues(totals(from:)))
    }
}
