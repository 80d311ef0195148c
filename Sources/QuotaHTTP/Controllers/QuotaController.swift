import QuotaStores
import Logging
import Foundation
public import Hummingbird
import TokenAccounting
package import TokenQuota

/// Quotas of every level: a user's own, a group's, the tenant aggregate and the tenant's per-user default.
/// Reading needs `quota:read`, writing `quota:write` (an admin key, or a tenant key with that scope).
///
/// `PUT` replaces the quota (absent or `null` limits = none); when the body names no `cycle`, the cycle
/// policy in force is kept, and a policy change keeps the running cycle (see `CycleSchedule.changing`).
/// No `PUT` and no `DELETE` resets usage: `DELETE` removes the quota's limits (a user's own cycle must
/// equal the default's, else 409). `POST …/users/{user}/usage/reset` (`quota:write`) is the explicit reset:
/// the user's running cycle starts from zero, and the tenant report lists who reset, when and what was spent.
public struct QuotaController: Sendable {
    let dependencies: QuotaAPIDependencies

    /// Creates the controller.
    public init(dependencies: QuotaAPIDependencies) { self.dependencies = dependencies }

    /// `GET|PUT|DELETE /{tenant}/users/{user}/quota`, `…/groups/{group}/quota`, `…/quota/tenant` and
    /// `…/quota/default` (mounted at `/v1/tenants`).
    public var endpoints: RouteCollection<QuotaRequestContext> {
        let routes = RouteCollection(context: QuotaRequestContext.self)
        for (path, subject) in [
            ("{tenant}/users/{user}/quota", Subject.user), ("{tenant}/groups/{group}/quota", .group), ("{tenant}/quota/tenant", .tenant),
            ("{tenant}/quota/default", .tenantDefault),
        ] {
            routes.get(RouterPath(path)) { request, context in try await get(subject, request, context) }
            routes.put(RouterPath(path)) { request, context in try await put(subject, request, context) }
            routes.delete(RouterPath(path)) { request, context in try await delete(subject, request, context) }
        }
        routes.post("{tenant}/users/{user}/usage/reset", use: resetUsage)
        return routes
    }

    /// `POST /{tenant}/users/{user}/usage/reset`: the explicit reset of a user's running cycle, recorded with
    /// who and when; answers what the cycle held.
    @Sendable func resetUsage(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let raw = try context.rawParameter("tenant")
        let principal = try await dependencies.authenticator.requireTenant(request, tenant: raw, scope: .quotaWrite)
        let tenant = try context.nameParameter("tenant")
        let user = try context.nameParameter("user")
        let by: String =
            switch principal {
            case .admin: "admin"
            case .tenant(_, let keyID, _): "key:" + keyID
            }
        let reset: UsageReset
        do {
            reset = try await dependencies.repository.resetUsage(tenant: tenant, user: user, by: by, now: await dependencies.repository.currentTime())
        } catch {
            throw APIError(error)
        }
        context.logger.notice(
            "usage reset", metadata: ["quota.tenant": "\(tenant)", "quota.user": "\(user)", "quota.by": "\(by)", "quota.tokens": "\(reset.tokens)"]
        )
        return try JSONResponse.make(value: UsageResetBody(reset))
    }

    /// The kind of subject a route is about (its id comes from the path).
    enum Subject: Sendable {
        case user, group, tenant, tenantDefault
    }

    func subject(_ kind: Subject, _ context: QuotaRequestContext) throws -> QuotaSubject {
        switch kind {
        case .user: .user(try context.nameParameter("user"))
        case .group: .group(try context.nameParameter("group"))
        case .tenant: .tenant
        case .tenantDefault: .tenantDefault
        }
    }

    func get(_ kind: Subject, _ request: Request, _ context: QuotaRequestContext) async throws -> Response {
        let tenant = try await dependencies.authorizedTenant(request, context, scope: .quotaRead)
        let subject = try subject(kind, context)
        return try JSONResponse.make(value: try await view(tenant: tenant, subject: subject))
    }

    func put(_ kind: Subject, _ request: Request, _ context: QuotaRequestContext) async throws -> Response {
        let tenant = try await dependencies.authorizedTenant(request, context, scope: .quotaWrite)
        let subject = try subject(kind, context)
        let body = try await RequestBodyReader.decode(QuotaBody.self, from: request, limit: dependencies.maxBodyBytes)
        let existing = try await view(tenant: tenant, subject: subject).config.schedule
        let isUser = if case .user = subject { true } else { false }
        let config = try body.config(keeping: existing, allowsGroup: isUser)
        do {
            try await dependencies.repository.setQuota(tenant: tenant, subject: subject, config, now: await dependencies.repository.currentTime())
        } catch {
            throw APIError(error)
        }
        context.logger.info("quota set", metadata: ["quota.tenant": "\(tenant)", "quota.subject": "\(subject)"])
        return try JSONResponse.make(value: try await view(tenant: tenant, subject: subject))
    }

    func delete(_ kind: Subject, _ request: Request, _ context: QuotaRequestContext) async throws -> Response {
        let tenant = try await dependencies.authorizedTenant(request, context, scope: .quotaWrite)
        let subject = try subject(kind, context)
        do {
            try await dependencies.repository.setQuota(tenant: tenant, subject: subject, nil, now: await dependencies.repository.currentTime())
        } catch {
            throw APIError(error)
        }
        context.logger.info("quota removed", metadata: ["quota.tenant": "\(tenant)", "quota.subject": "\(subject)"])
        return JSONResponse.noContent()
    }

    /// The quota in force for a subject: for a user their own or the tenant default (`source`), for the
    /// others the stored quota or none (`source: "none"`, no limits, the tenant's cycles).
    package func view(tenant: String, subject: QuotaSubject) async throws(APIError) -> QuotaView {
        let repository = dependencies.repository
        let now = await repository.currentTime()
        do {
            switch subject {
            case .user(let user):
                let (config, isUserSpecific) = try await repository.quota(tenant: tenant, user: user)
                return QuotaView(tenant: tenant, level: "user", user: user, source: isUserSpecific ? "user" : "tenant_default", config: config, now: now)
            case .group(let group):
                let stored = try await repository.quota(tenant: tenant, subject: subject)
                var config = stored ?? QuotaConfig()
                if stored == nil { config.schedule = try await repository.tenantSchedule(tenant: tenant) }
                return QuotaView(tenant: tenant, level: "group", group: group, source: stored == nil ? "none" : "group", config: config, now: now)
            case .tenant:
                let stored = try await repository.quota(tenant: tenant, subject: subject)
                var config = stored ?? QuotaConfig()
                if stored == nil { config.schedule = try await repository.tenantSchedule(tenant: tenant) }
                return QuotaView(tenant: tenant, level: "tenant", source: stored == nil ? "none" : "tenant", config: config, now: now)
            case .tenantDefault:
                return QuotaView(tenant: tenant, level: "default", config: try await repository.defaultQuota(tenant: tenant), now: now)
            }
        } catch {
            throw APIError(error)
        }
    }
}
