import Foundation
import QuotaStores
import Hummingbird
import TokenAccounting
import TokenQuota

extension ReservationsController {
    /// The body of `POST …/reservations/{id}/extend`: output tokens to add to the hold (priced at the
    /// reservation model's dearest output rate), a new expiry in seconds from now, or both.
    struct ExtendBody: StrictJSONBody {
        var addOutputTokens: Int?
        var ttlSeconds: Int?

        enum CodingKeys: String, CodingKey {
            case addOutputTokens = "add_output_tokens"
            case ttlSeconds = "ttl_seconds"
        }

        static var keySchema: JSONKeySchema { .keys(["add_output_tokens", "ttl_seconds"]) }
    }

    /// `POST /{tenant}/reservations/{id}/extend`: holds more for a call under way (every level at once, or
    /// `429 quota_exceeded` and nothing changes) and/or moves its expiry. Answers the reservation as it is
    /// held now, as `POST …/reservations` does.
    @Sendable func extend(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let tenant = try await dependencies.authorizedTenant(request, context, scope: .reservationsWrite)
        let id = try context.idParameter("id", field: "reservation_id")
        if id.hasPrefix(Self.failOpenPrefix) {
            throw APIError(.conflict, code: "conflict", "reservation \(id) was granted without Redis (fail-open) and holds nothing to extend")
        }
        let body = try await RequestBodyReader.decode(ExtendBody.self, from: request, limit: dependencies.maxBodyBytes)
        guard body.addOutputTokens != nil || body.ttlSeconds != nil else {
            throw APIError.badRequest("give add_output_tokens, ttl_seconds or both")
        }
        let added = body.addOutputTokens ?? 0
        guard (0...TokenUsage.maximumCount).contains(added) else {
            throw APIError.badRequest("add_output_tokens must be 0…\(TokenUsage.maximumCount) (got \(added))")
        }
        if let ttl = body.ttlSeconds, !(1...dependencies.reservationMaximumTTLSeconds).contains(ttl) {
            throw APIError.badRequest("ttl_seconds must be 1…\(dependencies.reservationMaximumTTLSeconds) (got \(ttl))")
        }
        guard let user = ReservationID.owner(of: id) else {
            throw APIError.notFound("reservation \(id) does not exist or has expired")
        }
        let call: ReservedCall?
        do {
            call = try await dependencies.repository.reservationCall(tenant: tenant, reservationID: id)
        } catch {
            throw APIError(error)
        }
        var cost = 0
        if added > 0 {
            // The added output is priced like the call's own: without the reservation's model it cannot be,
            // and holding it at no cost would lift a cost limit.
            guard let call else {
                // Not held (the script says why: 404 never held, 409 settled) or held without a model.
                do {
                    _ = try await dependencies.repository.extend(ReservationExtension(tenant: tenant, reservationID: id))
                } catch {
                    throw APIError(error)
                }
                throw APIError(.conflict, code: "conflict", "reservation \(id) names no model to price added output tokens with")
            }
            if let price = dependencies.catalog.match(model: call.model, provider: call.provider)?.price {
                do { cost = try price.extensionCost(outputTokens: added) } catch { throw APIError.badRequest(error.message) }
            }
        }
        let outcome: ReserveOutcome
        do {
            outcome = try await dependencies.repository.extend(
                ReservationExtension(tenant: tenant, reservationID: id, tokens: added, costNanoUSD: cost, ttlSeconds: body.ttlSeconds))
        } catch {
            throw APIError(error)
        }
        switch outcome {
        case .reserved(let reservation):
            let held = ReservationCreated(
                reservationID: id, user: user, model: call?.model ?? "", expiresAt: reservation.expiresAt,
                reserved: .init(tokens: reservation.tokens, costNanoUSD: reservation.costNanoUSD), failOpen: false
            )
            return JSONResponse.make(status: .ok, buffer: held.json)
        case .rejected(let rejection):
            dependencies.metrics.rejection(level: rejection.level.rawValue, limit: rejection.limit.rawValue)
            throw Self.quotaExceeded(rejection, now: await dependencies.repository.currentTime())
        }
    }
}
