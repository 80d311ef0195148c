import AsyncRedis
public import Foundation
import TokenAccounting

extension RedisQuotaRepository {
    public func extend(_ request: ReservationExtension) async throws(QuotaError) -> ReserveOutcome {
        try Identifier.validateTenant(request.tenant)
        guard let user = ReservationID.owner(of: request.reservationID) else {
            throw QuotaError(.notFound, "reservation \(request.reservationID) is not a granted reservation id (res:<user>:<id>)")
        }
        guard (0...TokenUsage.maximumCount).contains(request.tokens) else {
            throw QuotaError(.invalidArgument, "added tokens must be between 0 and \(TokenUsage.maximumCount)")
        }
        guard (0...QuotaScripts.totalBound).contains(request.costNanoUSD) else {
            throw QuotaError(.invalidArgument, "added cost must be between 0 and \(QuotaScripts.totalBound) nano-USD")
        }
        if let ttl = request.ttlSeconds, !(1...settings.maximumReservationTTLSeconds).contains(ttl) {
            throw QuotaError(.invalidArgument, "ttl_seconds must be between 1 and \(settings.maximumReservationTTLSeconds)")
        }
        let id = request.reservationID
        let keys = QuotaKeys(tenant: request.tenant)
        var context = try await userContext(tenant: request.tenant, user: user)
        var at = await clock.now(client)
        var cycles = context.cycles(at: at, cycleCache)
        var reply = RedisReply.null
        for attempt in 1...Self.attempts {
            reply = try await run(
                QuotaScripts.extend,
                keys: levelKeys(keys, user: user, group: context.group, cycles: cycles, dedupe: keys.dedupe(user, id))
                    + [keys.reservationState(user, id)],
                arguments: levelArguments(user: user, context: context, cycles: cycles) + [
                    id, request.tokens, request.costNanoUSD, request.ttlSeconds.map { String($0 * 1000) } ?? "", settings.dedupeTTLSeconds,
                ]
            )
            guard let retry = try await retryAfterRefusal(reply, tenant: request.tenant, user: user, attempt: attempt, script: "extend")
            else { break }
            (context, at) = retry
            cycles = context.cycles(at: at, cycleCache)
        }
        guard let parts = reply.array, let status = parts.first?.int else { throw unexpectedReply(script: "extend", reply) }
        switch status {
        case 1:
            guard parts.count == 4, let expiresMs = parts[1].int, let tokens = parts[2].int, let cost = parts[3].int else { break }
            return .reserved(Reservation(id: id, expiresAt: Date(timeIntervalSince1970: Double(expiresMs) / 1000), tokens: tokens, costNanoUSD: cost))
        case -8:
            let state = parts.count > 1 ? parts[1].text ?? "" : ""
            if state.isEmpty { throw QuotaError(.notFound, "reservation \(id) is not held") }
            throw QuotaError(.conflict, "reservation \(id) was already \(state): only a held reservation can be extended")
        case -9:
            throw QuotaError(.conflict, "user '\(user)' changed groups since reservation \(id) was made: it cannot be extended; reserve anew")
        case 0:
            guard let rejection = rejection(parts, cycles: cycles) else { break }
            return .rejected(rejection)
        default:
            break
        }
        throw unexpectedReply(script: "extend", reply)
    }
}
