public import AsyncHTTPClient
import Foundation
import HTTPTypes
public import Hummingbird
import Logging
import NIOHTTP1
public import QuotaHTTP
import QuotaStores
import TokenAccounting
import TokenQuota

/// The gateway: OpenAI- and Anthropic-compatible routes that hold quota for the caller's user, forward the
/// call to the configured provider, record the usage the provider reports and answer with the provider's
/// answer — so an app changes its SDK's `base_url` and no call of it can skip its quota.
///
/// Routes (under ``GatewaySettings/prefix``): `POST openai/v1/chat/completions`, `openai/v1/responses`,
/// `openai/v1/embeddings`, `anthropic/v1/messages`; `GET openai/v1/models` (passed through). The caller
/// authenticates with a quotad tenant key that has the scope `gateway`, where its SDK sends its API key
/// (`Authorization: Bearer`, or `x-api-key` for Anthropic); an admin key names the tenant in
/// `X-Quotad-Tenant`. The end user is `X-Quotad-User`, else the body's `user` (OpenAI) or
/// `metadata.user_id` (Anthropic). Errors are answered in the provider's format (see ``GatewayFailure``).
public struct GatewayController: Sendable {
    let dependencies: QuotaAPIDependencies
    let settings: GatewaySettings
    let client: HTTPClient

    static let userHeader = HTTPField.Name("X-Quotad-User")!
    static let tenantHeader = HTTPField.Name("X-Quotad-Tenant")!
    static let eventHeader = HTTPField.Name("X-Quotad-Event-Id")!
    static let apiKeyHeader = HTTPField.Name("x-api-key")!

    /// Creates the gateway over the API's dependencies, reaching the providers through `client`.
    public init(dependencies: QuotaAPIDependencies, settings: GatewaySettings, client: HTTPClient) {
        self.dependencies = dependencies
        self.settings = settings
        self.client = client
    }

    /// Where the routes are to be mounted (``GatewaySettings/prefix``).
    public var prefix: String { settings.prefix }

    /// The gateway's routes, to be mounted at ``prefix``.
    public var endpoints: RouteCollection<QuotaRequestContext> {
        let routes = RouteCollection(context: QuotaRequestContext.self)
        routes.post("openai/v1/chat/completions") { try await self.call(.chatCompletions, $0, $1) }
        routes.post("openai/v1/responses") { try await self.call(.responses, $0, $1) }
        routes.post("openai/v1/embeddings") { try await self.call(.embeddings, $0, $1) }
        routes.post("anthropic/v1/messages") { try await self.call(.messages, $0, $1) }
        routes.get("openai/v1/models") { try await self.models($0, $1) }
        return routes
    }

    /// One metered call: every failure answered in the route's dialect.
    func call(_ route: GatewayRoute, _ request: Request, _ context: QuotaRequestContext) async throws -> Response {
        do {
            return try await meter(route, request, context)
        } catch let failure as GatewayFailure {
            return failure.response(route.dialect)
        } catch let error as APIError {
            return GatewayFailure(error).response(route.dialect)
        } catch {
            context.logger.error("gateway call failed", metadata: ["error": "\(String(reflecting: error))"])
            return GatewayFailure(.internalServerError, code: "internal_error", "the gateway failed; see quotad's log").response(route.dialect)
        }
    }

    /// `GET openai/v1/models`: passed through for any key with the scope `gateway` (nothing is metered).
    func models(_ request: Request, _ context: QuotaRequestContext) async throws -> Response {
        do {
            _ = try await tenant(of: request, dialect: .openai)
            var upstream = HTTPClientRequest(url: settings.openai.baseURL + "/models")
            upstream.method = .GET
            Self.copyHeaders(from: request.headers, to: &upstream.headers, credential: settings.openai.apiKey, dialect: .openai)
            let response = try await execute(upstream)
            let body = try await collect(response)
            return Response(status: .init(code: Int(response.status.code)), headers: Self.answerHeaders(response.headers), body: .init(byteBuffer: body))
        } catch let failure as GatewayFailure {
            return failure.response(.openai)
        } catch let error as APIError {
            return GatewayFailure(error).response(.openai)
        }
    }

    /// Reads, holds, forwards and settles one call.
    func meter(_ route: GatewayRoute, _ request: Request, _ context: QuotaRequestContext) async throws -> Response {
        let tenant = try await tenant(of: request, dialect: route.dialect)
        let bytes = try await RequestBodyReader.collect(request, limit: dependencies.maxBodyBytes)
        let call = try GatewayCall(bytes: Array(bytes.readableBytesView), route: route)
        guard let user = request.headers[Self.userHeader] ?? call.bodyUser else {
            let place = route.dialect == .openai ? "the body's 'user'" : "the body's 'metadata.user_id'"
            throw GatewayFailure(
                .badRequest, code: "missing_user",
                "the gateway needs the end user to charge: send the header X-Quotad-User or set \(place)", param: "user"
            )
        }
        do { try Identifier.validateName(user, field: "user") } catch { throw APIError(error) }
        let provider = route.dialect.provider
        let plan: ReservationPlan
        do {
            plan = try dependencies.planner.plan(
                model: call.model, provider: provider, inputTokens: call.messages.isEmpty ? 0 : nil, messages: call.messages,
                outputLimits: call.outputLimits
            )
        } catch {
            throw APIError(error)
        }
        if !plan.priced {
            try await dependencies.recorder.checkUnpriced(model: call.model, tenant: tenant, user: user, logger: context.logger)
        }
        let now = await dependencies.repository.currentTime()
        let ttl = min(dependencies.reservationMaximumTTLSeconds, Int(settings.upstreamTimeout.components.seconds) + 60)
        let outcome: ReserveOutcome
        do {
            outcome = try await dependencies.repository.reserve(
                ReservationRequest(
                    tenant: tenant, user: user, tokens: plan.tokens, costNanoUSD: plan.costNanoUSD, ttlSeconds: max(1, ttl),
                    reservationID: "gw-" + Self.randomHex(12), model: call.model, provider: provider
                ),
                now: now
            )
        } catch {
            throw APIError(error)
        }
        let reservation: Reservation
        switch outcome {
        case .rejected(let rejection):
            dependencies.metrics.rejection(level: rejection.level.rawValue, limit: rejection.limit.rawValue)
            throw GatewayFailure(ReservationsController.quotaExceeded(rejection, now: now))
        case .reserved(let held):
            reservation = held
        }
        let held = GatewayHold(
            tenant: tenant, user: user, provider: provider, reservation: reservation, plan: plan,
            started: ContinuousClock.now, logger: context.logger
        )
        return try await forward(route, call, request: request, hold: held)
    }

    /// The tenant the request's key acts for, when the key may use the gateway.
    func tenant(of request: Request, dialect: GatewayDialect) async throws -> String {
        guard let key = Self.presentedKey(request.headers, dialect: dialect) else {
            let place = dialect == .openai ? "Authorization: Bearer <key>" : "x-api-key: <key>"
            throw GatewayFailure(.unauthorized, code: "unauthorized", "missing API key: give your SDK a quotad tenant key as its API key (\(place))")
        }
        switch try await dependencies.authenticator.principal(presentedKey: key).principal {
        case .admin:
            guard let tenant = request.headers[Self.tenantHeader] else {
                throw GatewayFailure(.badRequest, code: "invalid_request", "an admin key must name the tenant in the header X-Quotad-Tenant")
            }
            do { try Identifier.validateTenant(tenant) } catch { throw APIError(error) }
            return tenant
        case .tenant(let tenant, _, let scopes):
            guard scopes.contains(.gateway) else {
                throw GatewayFailure(.forbidden, code: "forbidden", "this key lacks the scope gateway: create a key with {\"scopes\":[\"gateway\"]}")
            }
            return tenant
        }
    }

    /// The key where the dialect's SDK sends it: `x-api-key` first for Anthropic, `Authorization: Bearer` first for OpenAI.
    static func presentedKey(_ headers: HTTPFields, dialect: GatewayDialect) -> String? {
        var bearer: String?
        if let header = headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            if parts.count == 2, parts[0].lowercased() == "bearer" { bearer = String(parts[1]) }
        }
        let apiKey = headers[apiKeyHeader]
        return dialect == .anthropic ? apiKey ?? bearer : bearer ?? apiKey
    }

    static func randomHex(_ count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return SecretDigest.hex((0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }
}

/// A call's reservation and what settling it needs.
struct GatewayHold: Sendable {
    var tenant: String
    var user: String
    var provider: Provider
    var reservation: Reservation
    var plan: ReservationPlan
    var started: ContinuousClock.Instant
    var logger: Logger
}
