import AsyncRedis
public import Foundation
import TokenAccounting

/// Reservations: held at every level in one script, released with their share of the rolling windows.
extension RedisQuotaRepository {
    public func reserve(_ request: ReservationRequest, now: Date) async throws(QuotaError) -> ReserveOutcome {
        try Identifier.validateTenant(request.tenant)
        try Identifier.validateName(request.user, field: "user")
        guard request.tokens >= 0, request.tokens <= TokenUsage.maximumCount else {
            throw QuotaError(.invalidArgument, "reserved tokens must be between 0 and \(TokenUsage.maximumCount)")
        }
        guard request.costNanoUSD >= 0, request.costNanoUSD <= QuotaScripts.totalBound else {
            throw QuotaError(.invalidArgument, "reserved cost must be between 0 and \(QuotaScripts.totalBound) nano-USD")
        }
        guard (1...settings.maximumReservationTTLSeconds).contains(request.ttlSeconds) else {
            throw QuotaError(.invalidArgument, "ttl_seconds must be between 1 and \(settings.maximumReservationTTLSeconds)")
        }
        if let model = request.model { try Identifier.validateModel(model) }
        let id = try ReservationID.make(user: request.user, suffix: request.reservationID)
        let keys = QuotaKeys(tenant: request.tenant)
        var context = try await userContext(tenant: request.tenant, user: request.user)
        var at = await clock.now(client)
        var cycles = context.cycles(at: at, cycleCache)
        var reply = RedisReply.null
        for attempt in 1...Self.attempts {
            reply = try await run(
                QuotaScripts.reserve,
                keys: levelKeys(keys, user: request.user, group: context.group, cycles: cycles, dedupe: keys.dedupe(request.user, id))
                    + [keys.alerts, keys.exceededAlerts, keys.reservationState(request.user, id)],
                arguments: levelArguments(user: request.user, context: context, cycles: cycles) + [
                    id, request.tokens, request.costNanoUSD, request.ttlSeconds * 1000, settings.maximumActiveReservationsPerUser,
                    request.tenant, cycles.user.id, cycles.group?.id ?? "", cycles.tenant.id, settings.dedupeTTLSeconds,
                    request.model ?? "", request.provider?.rawValue ?? "",
                ]
            )
            guard let retry = try await retryAfterRefusal(reply, tenant: request.tenant, user: request.user, attempt: attempt, script: "reserve")
            else { break }
            (context, at) = retry
            cycles = context.cycles(at: at, cycleCache)
        }
        guard let parts = reply.array, let status = parts.first?.int else { throw unexpectedReply(script: "reserve", reply) }
        switch status {
        case -4:
            let state = parts.count > 1 ? parts[1].text ?? "settled" : "settled"
            throw QuotaError(
                .conflict,
                "reservation \(id) was already \(state); a settled reservation id is never held again: reserve with a new reservation_id"
            )
        case -7:
            guard parts.count == 4, let heldTokens = parts[1].int, let heldCost = parts[2].int else { break }
            throw QuotaError(
                .conflict,
                "reservation \(id) is held for a different request (\(heldTokens) tokens, \(heldCost) nano-USD; this one asks "
                    + "\(request.tokens) tokens, \(request.costNanoUSD) nano-USD): a retry must repeat the same request, else reserve with a new reservation_id"
            )
        case -5:
            throw QuotaError(
                .tooManyReservations,
                "user '\(request.user)' holds \(settings.maximumActiveReservationsPerUser) active reservations, the most allowed; commit or release some first"
            )
        case 1:
            guard parts.count == 6, let reservedID = parts[1].text, let expiresMs = parts[2].int,
                  let heldTokens = parts[4].int, let heldCost = parts[5].int
            else { break }
            return .reserved(Reservation(
                id: reservedID, expiresAt: Date(timeIntervalSince1970: Double(expiresMs) / 1000),
                tokens: heldTokens, costNanoUSD: heldCost,
                rateLimit: parts[3].text.flatMap(RateLimitStatus.init(scriptValue:))
            ))
        case 0:
            guard let rejection = rejection(parts, cycles: cycles) else { break }
            return .rejected(rejection)
        default:
            break
        }
        throw unexpectedReply(script: "reserve", reply)
    }

    public func release(tenant: String, user: String, reservationID: String) async throws(QuotaError) -> Bool {
        try Identifier.validateTenant(tenant)
        try Identifier.validateName(user, field: "user")
        try Identifier.validateReservationID(reservationID)
        let keys = QuotaKeys(tenant: tenant)
        var context = try await userContext(tenant: tenant, user: user)
        var reply = RedisReply.null
        for attempt in 1...Self.attempts {
            let group = context.group
            reply = try await run(
                QuotaScripts.release,
                keys: [
                    keys.reservations, keys.reservationExpiry, keys.reservationTotals, keys.userWindows(user),
                    group.map(keys.groupWindows) ?? keys.unused, keys.tenantWindows, keys.userQuota(user), keys.tenantDefault,
                    group.map(keys.groupQuota) ?? keys.unused, keys.tenantQuota, keys.quotaEpoch,
                    keys.reservationState(user, reservationID),
                ],
                arguments: [reservationID, user, group ?? "", context.epoch, settings.dedupeTTLSeconds]
            )
            guard let retry = try await retryAfterRefusal(reply, tenant: tenant, user: user, attempt: attempt, script: "release") else { break }
            context = retry.0
        }
        return reply.int == 1
    }

    public func reserved(tenant: String, subjects: [QuotaSubject]) async throws(QuotaError) -> [ReservedAmounts] {
        try Identifier.validateTenant(tenant)
        guard !subjects.isEmpty else { return [] }
        var fields: [String] = []
        for subject in subjects {
            try Self.validate(tenant: tenant, subject: subject)
            let scope =
                switch subject {
                case .user(let user): QuotaKeys.reservationScope(.user, user)
                case .group(let group): QuotaKeys.reservationScope(.group, group)
                case .tenant, .tenantDefault: QuotaKeys.reservationScope(.tenant, "")
                }
            fields += [scope + "t", scope + "c", scope + "n"]
        }
        let key = QuotaKeys(tenant: tenant).reservationTotals
        let reply = try await redis { () async throws(RedisError) -> RedisReply in
            try await client.send(RedisCommand("HMGET", ([key] + fields).map { $0 as any RedisArgument }))
        }
        guard let values = reply.array, values.count == fields.count else { throw unexpectedReply(script: "HMGET", reply) }
        let numbers = values.map { $0.text.flatMap { Int($0) } ?? 0 }
        return stride(from: 0, to: numbers.count, by: 3).map { index in
            ReservedAmounts(tokens: numbers[index], costNanoUSD: numbers[index + 1], requests: numbers[index + 2])
        }
    }

    /// The owner named in the id when the reservation is held or was committed (under any event id; a retried
    /// commit is then answered as a duplicate or refused); nil when it never existed, was released or expired
    /// unused.
    public func reservationOwner(tenant: String, reservationID: String) async throws(QuotaError) -> String? {
        guard let owner = ReservationID.owner(of: reservationID) else { return nil }
        try Identifier.validateTenant(tenant)
        let keys = QuotaKeys(tenant: tenant)
        let held = try await redis { () async throws(RedisError) -> RedisReply in
            try await client.send("HEXISTS", keys.reservations, reservationID)
        }
        if held.int == 1 { return owner }
        let committed = try await redis { () async throws(RedisError) -> RedisReply in
            try await client.send("EXISTS", keys.dedupe(owner, reservationID))
        }
        if committed.int == 1 { return owner }
        let state = try await redis { () async throws(RedisError) -> RedisReply in
            try await client.send("GET", keys.reservationState(owner, reservationID))
        }
        return state.text?.hasPrefix("c|") == true ? owner : nil
    }

    /// The model and provider a held reservation was made for (``ReservationRequest/model``), or nil when it
    /// is not held or named none.
    public func reservationCall(tenant: String, reservationID: String) async throws(QuotaError) -> ReservedCall? {
        guard let owner = ReservationID.owner(of: reservationID) else { return nil }
        try Identifier.validateTenant(tenant)
        let key = QuotaKeys(tenant: tenant).reservationState(owner, reservationID)
        let state = try await redis { () async throws(RedisError) -> RedisReply in try await client.send("GET", key) }
        guard let text = state.text, text.hasPrefix("h|") else { return nil }
        let parts = text.split(separator: "|", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[2].isEmpty else { return nil }
        return ReservedCall(model: String(parts[2]), provider: parts[1].isEmpty ? nil : Provider(rawValue: String(parts[1])))
    }

    /// The refusal `{0, level, limit, limit value, used, reserved, requested, retry ms or '', Redis time ms}`
    /// of reserve.lua and extend.lua, or nil when the reply is not of that shape.
    func rejection(_ parts: [RedisReply], cycles: (user: BillingCycle, group: BillingCycle?, tenant: BillingCycle)) -> QuotaRejection? {
        guard parts.count == 9, let levelName = parts[1].text, let level = QuotaLevel(rawValue: levelName),
              let name = parts[2].text, let kind = LimitKind(rawValue: name), let limit = parts[3].int, let used = parts[4].int,
              let reserved = parts[5].int, let requested = parts[6].int, let redisNow = parts[8].int
        else { return nil }
        clock.observe(redisMilliseconds: redisNow)
        let cycle: BillingCycle =
            switch level {
            case .user: cycles.user
            case .group: cycles.group ?? cycles.tenant
            case .tenant: cycles.tenant
            }
        let retryMs = parts[7].int
        let retryAfter = retryMs.map { max(1, Int((Double($0 - redisNow) / 1000).rounded(.up))) }
        let resetsAt = kind.windowSeconds == nil ? cycle.end : retryMs.map { Date(timeIntervalSince1970: Double($0) / 1000) } ?? cycle.end
        return QuotaRejection(
            level: level, limit: kind, limitValue: limit, used: used, reserved: reserved, requested: requested,
            retryAfterSeconds: retryAfter, resetsAt: resetsAt, cycleID: cycle.id
        )
    }
}
