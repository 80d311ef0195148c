import Logging
import Foundation
public import Hummingbird
import TokenAccounting
import TokenQuota

/// User quotas and the tenant default quota. Reading and writing needs an admin key or a key of the
/// tenant (the tenant application manages its own users' limits).
///
/// `PUT` replaces the limits (absent or `null` = unlimited); when the body names no `cycle`, the
/// effective cycle policy is kept. Changing the policy mid-cycle keeps the running cycle's start.
public struct QuotaController: Sendable {
    let dependencies: QuotaAPIDependencies

    /// Creates the controller.
    public init(dependencies: QuotaAPIDependencies) { self.dependencies = dependencies }

    /// `GET|PUT|DELETE /{tenant}/users/{user}/quota`, `GET|PUT /{tenant}/quota/default` (mounted at `/v1/tenants`).
    public var endpoints: RouteCollection<QuotaRequestContext> {
        let routes = RouteCollection(context: QuotaRequestContext.self)
        routes.get("{tenant}/users/{user}/quota", use: getUserQuota)
        routes.put("{tenant}/users/{user}/quota", use: putUserQuota)
        routes.delete("{tenant}/users/{user}/quota", use: deleteUserQuota)
        routes.get("{tenant}/quota/default", use: getDefaultQuota)
        routes.put("{tenant}/quota/default", use: putDefaultQuota)
        return routes
    }

    @Sendable func getUserQuota(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let tenant = try await dependencies.authorizedTenant(request, context, scope: .quotaRead)
        let user = try context.nameParameter("user")
        let (config, isUserSpecific) = try await quota(tenant: tenant, user: user)
        return try JSONResponse.make(
            value: QuotaView(tenant: tenant, user: user, source: isUserSpecific ? "user" : "tenant_default", config: config, now: await dependencies.repository.currentTime())
        )
    }

    @Sendable func putUserQuota(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let tenant = try await dependencies.authorizedTenant(request, context, scope: .quotaWrite)
        let user = try context.nameParameter("user")
        let body = try await RequestBodyReader.decode(QuotaBody.self, from: request, limit: dependencies.maxBodyBytes)
        let limits = try body.quotaLimits()
        let now = await dependencies.repository.currentTime()
        let existing = try await quota(tenant: tenant, user: user).config
        let config = QuotaConfig(limits: limits, schedule: try body.schedule(keeping: existing.schedule))
        do {
            try await dependencies.repository.setQuota(tenant: tenant, user: user, config, now: now)
        } catch {
            throw APIError(error)
        }
        context.logger.info("user quota set", metadata: ["quota.tenant": "\(tenant)", "quota.user": "\(user)"])
        let (stored, isUserSpecific) = try await quota(tenant: tenant, user: user)
        return try JSONResponse.make(
            value: QuotaView(tenant: tenant, user: user, source: isUserSpecific ? "user" : "tenant_default", config: stored, now: now)
        )
    }

    @Sendable func deleteUserQuota(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let tenant = try await dependencies.authorizedTenant(request, context, scope: .quotaWrite)
        let user = try context.nameParameter("user")
        do {
            try await dependencies.repository.setQuota(tenant: tenant, user: user, nil, now: await dependencies.repository.currentTime())
        } catch {
            throw APIError(error)
        }
        return JSONResponse.noContent()
    }

    @Sendable func getDefaultQuota(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let tenant = try await dependencies.authorizedTenant(request, context, scope: .quotaRead)
        let config = try await defaultQuota(tenant: tenant)
        return try JSONResponse.make(value: QuotaView(tenant: tenant, user: nil, source: nil, config: config, now: Date()))
    }

    @Sendable func putDefaultQuota(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let tenant = try await dependencies.authorizedTenant(request, context, scope: .quotaWrite)
        let body = try await RequestBodyReader.decode(QuotaBody.self, from: request, limit: dependencies.maxBodyBytes)
        let limits = try body.quotaLimits()
        let now = await dependencies.repository.currentTime()
        let existing = try await defaultQuota(tenant: tenant)
        let config = QuotaConfig(limits: limits, schedule: try body.schedule(keeping: existing.schedule))
        do {
            try await dependencies.repository.setDefaultQuota(tenant: tenant, config, now: now)
        } catch {
            throw APIError(error)
        }
        context.logger.info("tenant default quota set", metadata: ["quota.tenant": "\(tenant)"])
        let stored = try await defaultQuota(tenant: tenant)
        return try JSONResponse.make(value: QuotaView(tenant: tenant, user: nil, source: nil, config: stored, now: now))
    }

    func quota(tenant: String, user: String) async throws(APIError) -> (config: QuotaConfig, isUserSpecific: Bool) {
        do {
            return try await dependencies.repository.quota(tenant: tenant, user: user)
        } catch {
            throw APIError(error)
        }
    }

    func defaultQuota(tenant: String) async throws(APIError) -> QuotaConfig {
        do {
            return try await dependencies.repository.defaultQuota(tenant: tenant)
        } catch {
            throw APIError(error)
        }
    }

}
