import QuotaStores
package import Foundation
public import Hummingbird
import Logging
import TokenAccounting
package import TokenQuota

/// Reservations: hold quota before a call, commit its usage afterwards, or release it.
///
/// When Redis cannot be reached, reservations fail closed (503) unless `reservations.fail_open` is set:
/// then each refusal is logged (warning), counted (`quotad_reservation_fail_open_total`) and answered
/// `201` with `"fail_open":true` and a synthetic id (prefix `fo-`); committing such an id records the usage
/// without settling anything (the body must name the user), releasing it is a no-op.
public struct ReservationsController: Sendable {
    let dependencies: QuotaAPIDependencies

    /// The prefix of synthetic fail-open reservation ids.
    public static let failOpenPrefix = "fo-"

    /// Creates the controller.
    public init(dependencies: QuotaAPIDependencies) { self.dependencies = dependencies }

    /// `POST /{tenant}/reservations`, `POST /{tenant}/reservations/{id}/commit`,
    /// `POST /{tenant}/reservations/{id}/extend`, `DELETE /{tenant}/reservations/{id}` (mounted at `/v1/tenants`).
    public var endpoints: RouteCollection<QuotaRequestContext> {
        let routes = RouteCollection(context: QuotaRequestContext.self)
        routes.post("{tenant}/reservations", use: reserve)
        routes.post("{tenant}/reservations/{id}/commit", use: commit)
        routes.post("{tenant}/reservations/{id}/extend", use: extend)
        routes.delete("{tenant}/reservations/{id}", use: release)
        return routes
    }

    @Sendable func reserve(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let tenant = try await dependencies.authorizedTenant(request, context, scope: .reservationsWrite)
        let body = try RequestBodyReader.decodeReservation(
            from: await RequestBodyReader.collect(request, limit: dependencies.maxBodyBytes)
        )
        guard let model = body.model ?? body.request?.model else {
            throw APIError.badRequest("missing field 'model' (give it in the body or in 'request')")
        }
        do {
            try Identifier.validateName(body.user, field: "user")
            try Identifier.validateModel(model)
            if let id = body.reservationID { try Identifier.validateEventID(id, field: "reservation_id") }
        } catch {
            throw APIError(error)
        }
        if let id = body.reservationID, id.hasPrefix(Self.failOpenPrefix) {
            throw APIError.badRequest("reservation ids starting with '\(Self.failOpenPrefix)' are reserved")
        }
        var provider: Provider?
        if let name = body.provider {
            let candidate = Provider(rawValue: name)
            guard Provider.known.contains(candidate) else { throw APIError.badRequest("unknown provider '\(name.prefix(40))'") }
            provider = candidate
        }
        var messages = body.messages ?? []
        if let system = body.system { messages.insert(system.message, at: 0) }
        if body.inputTokens == nil {
            messages += body.request?.allMessages ?? []
            guard !messages.isEmpty else {
                throw APIError(
                    .badRequest, code: "invalid_request",
                    "a reservation needs an input estimate: give input_tokens, messages or the provider request",
                    details: ["fields": .array([.string("input_tokens"), .string("messages"), .string("request")])]
                )
            }
        }
        let ttl = body.ttlSeconds ?? dependencies.reservationDefaultTTLSeconds
        let plan: ReservationPlan
        do {
            plan = try dependencies.planner.plan(
                model: model, provider: provider, inputTokens: body.inputTokens, messages: messages, outputLimits: body.outputLimits)
        } catch {
            throw APIError(error)
        }
        guard (1...dependencies.reservationMaximumTTLSeconds).contains(ttl) else {
            throw APIError.badRequest("ttl_seconds must be 1…\(dependencies.reservationMaximumTTLSeconds) (got \(ttl))")
        }
        if !plan.priced {
            try await dependencies.recorder.checkUnpriced(model: model, tenant: tenant, user: body.user, logger: context.logger)
        }
        return try await reserve(
            body, model: model, provider: provider ?? plan.match?.provider, tenant: tenant, tokens: plan.tokens, cost: plan.costNanoUSD,
            ttl: ttl, context: context)
    }

    /// Holds `tokens` and `cost` for the body's user (fail-open when configured and Redis cannot answer).
    func reserve(
        _ body: ReservationBody, model: String, provider: Provider?, tenant: String, tokens: Int, cost: Int, ttl: Int,
        context: QuotaRequestContext
    ) async throws -> Response {
        let now = await dependencies.repository.currentTime()
        let reservationRequest = ReservationRequest(
            tenant: tenant, user: body.user, tokens: tokens, costNanoUSD: cost, ttlSeconds: ttl, reservationID: body.reservationID,
            model: model, provider: provider
        )
        let outcome: ReserveOutcome
        do {
            outcome = try await dependencies.repository.reserve(reservationRequest, now: now)
        } catch where (error.code == .unavailable || error.code == .outcomeUnknown || error.code == .storageFull)
            && dependencies.reservationsFailOpen
        {
            dependencies.metrics.failOpenReservation()
            var generator = SystemRandomNumberGenerator()
            let id = Self.failOpenPrefix + SecretDigest.hex((0..<12).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
            context.logger.warning(
                "reservation granted without Redis (fail-open)",
                metadata: ["quota.tenant": "\(tenant)", "quota.user": "\(body.user)", "quota.reservation_id": "\(id)", "error.code": "\(error.code)"]
            )
            let created = ReservationCreated(
                reservationID: id, user: body.user, model: model, expiresAt: now.addingTimeInterval(TimeInterval(ttl)),
                reserved: .init(tokens: tokens, costNanoUSD: cost), failOpen: true
            )
            return JSONResponse.make(status: .created, buffer: created.json)
        } catch {
            throw APIError(error)
        }
        switch outcome {
        case .reserved(let reservation):
            let created = ReservationCreated(
                reservationID: reservation.id, user: body.user, model: model, expiresAt: reservation.expiresAt,
                reserved: .init(tokens: reservation.tokens, costNanoUSD: reservation.costNanoUSD), failOpen: false
            )
            var response = JSONResponse.make(status: .created, buffer: created.json)
            RateLimitHeaders.apply(reservation.rateLimit, to: &response.headers)
            return response
        case .rejected(let rejection):
            dependencies.metrics.rejection(level: rejection.level.rawValue, limit: rejection.limit.rawValue)
            throw Self.quotaExceeded(rejection, now: now)
        }
    }

    @Sendable func commit(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let tenant = try await dependencies.authorizedTenant(request, context, scope: .reservationsWrite)
        var id = try context.idParameter("id", field: "reservation_id")
        let body = try RequestBodyReader.decodeUsage(from: try await RequestBodyReader.collect(request, limit: dependencies.maxBodyBytes))
        // The id the caller chose at reserve (with the body's user) names the granted `res:<user>:<id>`, so
        // that committing it settles the reservation instead of recording beside it.
        if !id.hasPrefix(Self.failOpenPrefix), ReservationID.owner(of: id) == nil, let user = body.user,
           let granted = try? ReservationID.make(user: user, suffix: id)
        {
            id = granted
        }
        if id.hasPrefix(Self.failOpenPrefix) {
            guard body.user != nil else { throw APIError.badRequest("committing a fail-open reservation needs 'user'") }
            let response = try await dependencies.recorder.record(body, tenant: tenant, eventID: id, logger: context.logger)
            return response.answer(preferring: ReturnPreference(request.headers))
        }
        if let named = body.user, let owner = ReservationID.owner(of: id), named != owner {
            throw APIError(
                .conflict, code: "conflict",
                "reservation \(id) belongs to user '\(owner)', not '\(named)'; nothing was recorded"
            )
        }
        var user = body.user
        if user == nil {
            do {
                user = try await dependencies.repository.reservationOwner(tenant: tenant, reservationID: id)
            } catch {
                throw APIError(error)
            }
            guard user != nil else { throw APIError.notFound("reservation \(id) does not exist or has expired; name the 'user' to record anyway") }
        }
        let response = try await dependencies.recorder.record(
            body, tenant: tenant, user: user, eventID: id, reservationID: id, logger: context.logger
        )
        return response.answer(preferring: ReturnPreference(request.headers))
    }

    @Sendable func release(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let tenant = try await dependencies.authorizedTenant(request, context, scope: .reservationsWrite)
        let id = try context.idParameter("id", field: "reservation_id")
        if id.hasPrefix(Self.failOpenPrefix) { return JSONResponse.noContent() }
        let notFound = APIError.notFound("reservation \(id) does not exist or has expired")
        let owner: String?
        do {
            owner = try await dependencies.repository.reservationOwner(tenant: tenant, reservationID: id)
        } catch {
            throw APIError(error)
        }
        guard let owner else { throw notFound }
        let released: Bool
        do {
            released = try await dependencies.repository.release(tenant: tenant, user: owner, reservationID: id)
        } catch {
            throw APIError(error)
        }
        guard released else { throw notFound }
        return JSONResponse.noContent()
    }

    /// `429 quota_exceeded` naming the level (`tenant|group|user`) and the limit (`tokens|cost|requests|
    /// tokens_per_minute|…`) with used, reserved and requested, and `Retry-After`: the earliest moment the
    /// same request fits every limit again (a window slide, the expiry of enough reservations, or the cycle
    /// reset, whichever frees enough first). `retry_at` is that moment and `resets_at` when the limit's room
    /// comes back (ISO 8601); cost limits also give their amounts in dollars (`*_usd`, exact decimals). A
    /// request larger than the limit itself can never fit: no `Retry-After`, `retry_at` is null.
    package static func quotaExceeded(_ rejection: QuotaRejection, now: Date = Date()) -> APIError {
        let name = rejection.limit.rawValue
        let isCost = rejection.limit == .cost
        func amount(_ value: Int) -> String { isCost ? "$" + DecimalUSD.string(fromNanoUSD: value) : String(value) }
        let retryAfter = rejection.retryAfterSeconds.map { max(1, $0) }
        let formatter = ISO8601DateFormatter()
        let retryAtText = retryAfter.map { formatter.string(from: now.addingTimeInterval(TimeInterval($0))) }
        let resetsAtText = formatter.string(from: rejection.resetsAt)
        let scope = rejection.limit.windowSeconds.map { "in the rolling \($0) s window" } ?? "in cycle \(rejection.cycleID)"
        let held = rejection.limit.windowSeconds == nil ? " + \(amount(rejection.reserved)) reserved" : " (reservations included)"
        var message = "\(rejection.level.rawValue) \(name) limit exceeded: \(amount(rejection.used)) used\(held) + "
            + "\(amount(rejection.requested)) requested > \(amount(rejection.limitValue)) \(scope); "
        if let retryAtText {
            message += "retry after \(retryAtText)"
        } else {
            message += "the request alone is larger than the limit and can never fit"
        }
        var headers = HTTPFields()
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        RateLimitHeaders.apply(rejection, now: now, to: &headers)
        var limit: [String: JSONFragment] = [
            "level": .string(rejection.level.rawValue), "name": .string(name), "limit": .int(rejection.limitValue),
            "used": .int(rejection.used), "reserved": .int(rejection.reserved), "requested": .int(rejection.requested),
            "remaining": .int(rejection.remaining), "cycle_id": .string(rejection.cycleID), "resets_at": .string(resetsAtText),
            "retry_at": retryAtText.map(JSONFragment.string) ?? .null,
        ]
        if let window = rejection.limit.windowSeconds { limit["window_seconds"] = .int(window) }
        if isCost {
            for (key, value) in [
                ("limit_usd", rejection.limitValue), ("used_usd", rejection.used), ("reserved_usd", rejection.reserved),
                ("requested_usd", rejection.requested), ("remaining_usd", rejection.remaining),
            ] {
                limit[key] = .string(DecimalUSD.string(fromNanoUSD: value))
            }
        }
        return APIError(
            .tooManyRequests, code: "quota_exceeded", message, headers: headers,
            details: [
                "retry_after_seconds": retryAfter.map(JSONFragment.int) ?? .null, "retry_at": retryAtText.map(JSONFragment.string) ?? .null,
                "resets_at": .string(resetsAtText), "level": .string(rejection.level.rawValue),
            ],
            topLevel: ["limit": .object(limit)]
        )
    }
}
