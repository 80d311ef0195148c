import TokenAccounting
import Logging
import Foundation
public import Hummingbird
import NIOCore
public import TokenQuota

/// Tenant usage reports as JSON or CSV.
///
/// CSV (`text/csv`): header `user,model,input_tokens,cached_input_tokens,cache_write_tokens,output_tokens,`
/// `reasoning_tokens,requests,errors,cost_nano_usd,unpriced_requests`; one row per user × model (models
/// sorted), then one row per user with model `*` (the user's totals), and a last row `*,*` (tenant totals).
/// Unpriced usage shows in `unpriced_requests` (its cost is 0).
public struct ReportsController: Sendable {
    let dependencies: QuotaAPIDependencies

    /// Creates the controller.
    public init(dependencies: QuotaAPIDependencies) { self.dependencies = dependencies }

    /// `GET /{tenant}/reports/usage?cycle=current|<id>&format=json|csv` (mounted at `/v1/tenants`).
    public var endpoints: RouteCollection<QuotaRequestContext> {
        let routes = RouteCollection(context: QuotaRequestContext.self)
        routes.get("{tenant}/reports/usage", use: report)
        return routes
    }

    struct ReportBody: Encodable {
        var report: TenantReport
        enum CodingKeys: String, CodingKey {
            case tenant, users, totals
            case cycleID = "cycle_id"
        }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(report.tenant, forKey: .tenant)
            try c.encode(report.cycleID, forKey: .cycleID)
            try c.encode(report.users.map(UserUsageBody.init), forKey: .users)
            try c.encode(TotalsBody(report.totals), forKey: .totals)
        }
    }

    /// The CSV header row.
    public static let csvHeader =
        "user,model,input_tokens,cached_input_tokens,cache_write_tokens,output_tokens,reasoning_tokens,requests,errors,cost_nano_usd,unpriced_requests"

    @Sendable func report(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let tenant = try await dependencies.authorizedTenant(request, context)
        let cycleID = try UsageController.cycleParameter(request)
        let format = request.uri.queryParameters.get("format") ?? "json"
        guard format == "json" || format == "csv" else { throw APIError.badRequest("format must be json or csv") }
        let report: TenantReport
        do {
            report = try await dependencies.repository.report(tenant: tenant, cycleID: cycleID, now: Date())
        } catch {
            throw APIError(error)
        }
        if format == "json" { return try JSONResponse.make(value: ReportBody(report: report)) }
        let csv = Self.csv(report)
        let buffer = ByteBuffer(string: csv)
        var headers = HTTPFields()
        headers[.contentType] = "text/csv; charset=utf-8"
        headers[.contentLength] = String(buffer.readableBytes)
        headers[.contentDisposition] = "attachment; filename=\"usage-\(tenant)-\(report.cycleID).csv\""
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: buffer))
    }

    /// Renders a report as CSV (see the type's documentation for the layout).
    public static func csv(_ report: TenantReport) -> String {
        var lines = [csvHeader]
        func row(_ user: String, _ model: String, _ totals: UsageTotals) -> String {
            let fields: [String] = [
                escape(user), escape(model), String(totals.usage.inputTokens), String(totals.usage.cachedInputTokens),
                String(totals.usage.cacheWriteTokens), String(totals.usage.outputTokens), String(totals.usage.reasoningTokens),
                String(totals.requests), String(totals.errors), String(totals.costNanoUSD), String(totals.unpricedRequests),
            ]
            return fields.joined(separator: ",")
        }
        for user in report.users.sorted(by: { $0.user < $1.user }) {
            for model in user.models.keys.sorted() {
                if let totals = user.models[model] { lines.append(row(user.user, model, totals)) }
            }
            lines.append(row(user.user, "*", user.totals))
        }
        lines.append(row("*", "*", report.totals))
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    static func escape(_ field: String) -> String {
        var needsQuotes = field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
        // Guard against spreadsheet formula injection.
        if let first = field.first, "=+-@".contains(first), field != "*" { needsQuotes = true }
        guard needsQuotes else { return field }
        var escaped = field.replacingOccurrences(of: "\"", with: "\"\"")
        if let first = escaped.first, "=+-@".contains(first) { escaped = "'" + escaped }
        return "\"\(escaped)\""
    }
}
