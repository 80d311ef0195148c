import QuotaStores
import Logging
import Foundation
public import Hummingbird

/// Tenant API keys: create (admin, the secret is returned once), list (admin or the tenant), revoke (admin).
public struct KeysController: Sendable {
    let dependencies: QuotaAPIDependencies

    /// Creates the controller.
    public init(dependencies: QuotaAPIDependencies) { self.dependencies = dependencies }

    /// `POST /{tenant}/keys`, `GET /{tenant}/keys`, `DELETE /{tenant}/keys/{id}` (mounted at `/v1/tenants`).
    public var endpoints: RouteCollection<QuotaRequestContext> {
        let routes = RouteCollection(context: QuotaRequestContext.self)
        routes.post("{tenant}/keys", use: create)
        routes.get("{tenant}/keys", use: list)
        routes.delete("{tenant}/keys/{id}", use: revoke)
        return routes
    }

    struct CreatedKey: Encodable {
        var id: String
        var key: String
        var tenant: String
        var createdAt: Date
        var scopes: [String]
        enum CodingKeys: String, CodingKey {
            case id, key, tenant, scopes
            case createdAt = "created_at"
        }
    }

    /// The optional body of `POST …/keys`: `{"scopes":["usage:write",…]}` (absent: ``KeyScope/defaults``).
    struct CreateBody: StrictJSONBody {
        var scopes: [String]?
        static var keySchema: JSONKeySchema { .keys(["scopes"]) }
    }

    struct KeyList: Encodable {
        var tenant: String
        var keys: [TenantKeyRecord]
    }

    @Sendable func create(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        try await dependencies.authenticator.requireAdmin(request)
        let tenant = try context.nameParameter("tenant")
        let buffer = try await RequestBodyReader.collect(request, limit: dependencies.maxBodyBytes)
        var scopes = KeyScope.defaults
        if buffer.readableBytes > 0, let names = try RequestBodyReader.decode(CreateBody.self, from: buffer).scopes {
            scopes = try KeyScope.parse(names)
            guard !scopes.isEmpty else { throw APIError.badRequest("scopes must name at least one scope") }
        }
        let (record, secret) = try await dependencies.authenticator.keys.create(tenant: tenant, scopes: scopes)
        context.logger.info(
            "tenant key created", metadata: ["quota.tenant": "\(tenant)", "quota.key_id": "\(record.id)", "quota.scopes": "\(record.scopes)"]
        )
        return try JSONResponse.make(
            status: .created,
            value: CreatedKey(id: record.id, key: secret, tenant: tenant, createdAt: record.createdAt, scopes: record.scopes)
        )
    }

    @Sendable func list(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let raw = try context.rawParameter("tenant")
        try await dependencies.authenticator.requireTenant(request, tenant: raw)
        let tenant = try context.nameParameter("tenant")
        let keys = try await dependencies.authenticator.keys.list(tenant: tenant)
        return try JSONResponse.make(value: KeyList(tenant: tenant, keys: keys))
    }

    @Sendable func revoke(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        try await dependencies.authenticator.requireAdmin(request)
        let tenant = try context.nameParameter("tenant")
        let id = try context.rawParameter("id")
        let notFound = APIError.notFound("tenant \(tenant) has no key \(id.prefix(64))")
        guard id.utf8.count <= 64 else { throw notFound }
        let revoked = try await dependencies.authenticator.keys.revoke(tenant: tenant, id: id)
        guard revoked else { throw notFound }
        context.logger.info("tenant key revoked", metadata: ["quota.tenant": "\(tenant)", "quota.key_id": "\(id)"])
        return JSONResponse.noContent()
    }
}
