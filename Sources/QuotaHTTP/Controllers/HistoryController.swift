import QuotaStores
import Foundation
public import Hummingbird
import Logging
import TokenQuota

/// Usage history per local day and the tenant's declared dimensions.
///
/// - `GET /{tenant}/usage/daily?from=&to=&user=|group=&model=` (`usage:read`): one row of the day buckets
///   per local date (the tenant's time zone: its cycle schedule's) from `from` to `to`, both included.
///   Defaults: `to` = today, `from` = 29 days before `to`; at most `usage.history_days` days. The row is the
///   tenant's, a user's or a group's (at most one of `user` and `group`), narrowed to one model with `model`.
/// - `GET /{tenant}/dimensions` (`quota:read`), `PUT /{tenant}/dimensions` (`quota:write`, like quotas):
///   `{"dimensions":[…]}`, at most 20 names of 1–64 characters `A-Z a-z 0-9 . _ -`; a `PUT` replaces the
///   declaration atomically and applies to events recorded afterwards.
public struct HistoryController: Sendable {
    let dependencies: QuotaAPIDependencies

    /// Creates the controller.
    public init(dependencies: QuotaAPIDependencies) { self.dependencies = dependencies }

    /// The routes (mounted at `/v1/tenants`).
    public var endpoints: RouteCollection<QuotaRequestContext> {
        let routes = RouteCollection(context: QuotaRequestContext.self)
        routes.get("{tenant}/usage/daily", use: daily)
        routes.get("{tenant}/dimensions", use: getDimensions)
        routes.put("{tenant}/dimensions", use: putDimensions)
        return routes
    }

    /// The repository's history side; 501 when the configured repository keeps no history.
    static func history(_ dependencies: QuotaAPIDependencies) throws(APIError) -> any UsageHistoryRepository {
        guard let history = dependencies.repository as? any UsageHistoryRepository else {
            throw APIError(.notImplemented, code: "not_implemented", "this repository keeps no usage history")
        }
        return history
    }

    /// A query parameter; absent and empty are the same.
    static func query(_ request: Request, _ name: String) -> String? {
        guard let value = request.uri.queryParameters.get(name), !value.isEmpty else { return nil }
        return value
    }

    /// A `YYYY-MM-DD` query parameter (400 when it is not a valid date).
    static func dateParameter(_ request: Request, _ name: String) throws(APIError) -> CalendarDay? {
        guard let value = query(request, name) else { return nil }
        guard let day = CalendarDay(value) else {
            throw APIError.badRequest("\(name) must be a date YYYY-MM-DD between 1900 and 9998 (got '\(value.prefix(40))')")
        }
        return day
    }

    @Sendable func daily(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let tenant = try await dependencies.authorizedTenant(request, context, scope: .usageRead)
        let from = try Self.dateParameter(request, "from")
        let to = try Self.dateParameter(request, "to")
        let history = try Self.history(dependencies)
        do {
            let row = try DailyRowSelector(
                user: Self.query(request, "user"), group: Self.query(request, "group"), model: Self.query(request, "model")
            )
            let days = try await history.dailyUsage(
                tenant: tenant, from: from, to: to, row: row, now: await dependencies.repository.currentTime()
            )
            return try JSONResponse.make(value: DailyUsageBody(days))
        } catch let error as QuotaError {
            throw APIError(error)
        }
    }

    @Sendable func getDimensions(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let tenant = try await dependencies.authorizedTenant(request, context, scope: .quotaRead)
        do {
            return try JSONResponse.make(value: DimensionsBody(dimensions: try await Self.history(dependencies).dimensions(tenant: tenant)))
        } catch let error as QuotaError {
            throw APIError(error)
        }
    }

    @Sendable func putDimensions(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let tenant = try await dependencies.authorizedTenant(request, context, scope: .quotaWrite)
        let body = try await RequestBodyReader.decode(DimensionsBody.self, from: request, limit: dependencies.maxBodyBytes)
        do {
            let names = try await Self.history(dependencies).setDimensions(tenant: tenant, body.dimensions)
            context.logger.info("dimensions set", metadata: ["quota.tenant": "\(tenant)", "quota.dimensions": "\(names)"])
            return try JSONResponse.make(value: DimensionsBody(dimensions: names))
        } catch let error as QuotaError {
            throw APIError(error)
        }
    }
}
