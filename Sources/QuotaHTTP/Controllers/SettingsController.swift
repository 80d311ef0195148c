import TokenQuota
import QuotaStores
import Logging
public import Hummingbird

/// The cluster-wide usage-recording switches (admin only).
public struct SettingsController: Sendable {
    let dependencies: QuotaAPIDependencies

    /// Creates the controller.
    public init(dependencies: QuotaAPIDependencies) { self.dependencies = dependencies }

    /// `GET|PATCH /metrics` (mounted at `/v1/settings`).
    public var endpoints: RouteCollection<QuotaRequestContext> {
        let routes = RouteCollection(context: QuotaRequestContext.self)
        routes.get("metrics", use: get)
        routes.patch("metrics", use: patch)
        return routes
    }

    struct Patch: StrictJSONBody {
        var enabled: Bool?
        var tokenStatistics: Bool?
        static var keySchema: JSONKeySchema { .keys(CodingKeys.allCases.map(\.rawValue)) }
        enum CodingKeys: String, CodingKey, CaseIterable {
            case enabled
            case tokenStatistics = "token_statistics"
        }
    }

    @Sendable func get(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        try await dependencies.authenticator.requireAdmin(request)
        do {
            return try JSONResponse.make(value: try await dependencies.settings.refresh())
        } catch let error as QuotaError {
            throw APIError(error)
        }
    }

    @Sendable func patch(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        try await dependencies.authenticator.requireAdmin(request)
        let body = try await RequestBodyReader.decode(Patch.self, from: request, limit: dependencies.maxBodyBytes)
        guard body.enabled != nil || body.tokenStatistics != nil else {
            throw APIError.badRequest("give 'enabled' and/or 'token_statistics'")
        }
        let settings: MetricsSettings
        do {
            settings = try await dependencies.settings.update(enabled: body.enabled, tokenStatistics: body.tokenStatistics)
        } catch {
            throw APIError(error)
        }
        context.logger.notice(
            "metrics settings changed",
            metadata: ["settings.enabled": "\(settings.enabled)", "settings.token_statistics": "\(settings.tokenStatistics)"]
        )
        return try JSONResponse.make(value: settings)
    }
}
