import Logging
import Foundation
public import Hummingbird
import TokenAccounting
import TokenQuota

/// Quotas of every level: a user's own, a group's, the tenant aggregate and the tenant's per-user default.
/// Reading needs `quota:read`, writing `quota:write` (an admin key, or a tenant key with that scope).
///
/// `PUT` replaces the quota (absent or `null` limits = none); when the body names no `cycle`, the cycle
/// policy in force is kept, and a policy change keeps the running cycle (see `CycleSchedule.changing`).
/// No `PUT` resets usage. `DELETE` of a user's quota resets the user's usage in the running cycle (the
/// group's and tenant's totals keep it); other `DELETE`s only remove the quota.
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
        return routes
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
    func view(tenant: String, subject: QuotaSubject) async throws(APIError) -> QuotaView {
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
