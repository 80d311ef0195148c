import QuotaStores
import TokenAccounting
import Logging
import Foundation
public import Hummingbird
import NIOCore
public import TokenQuota

/// Tenant usage reports as JSON or CSV.
///
/// A report covers one cycle of the tenant (its aggregate quota's schedule, else the per-user default's)
/// and counts every user's usage within that cycle, whatever the user's own anchor: the user rows add up
/// to the totals, and so do the model rows.
///
/// CSV (`text/csv`, RFC 4180): the columns of ``csvColumns`` — `row_type`, `tenant`, `cycle`, `user`,
/// `group`, `model`, every count of the JSON totals, and the cost both as integer `cost_nano_usd` and as the
/// exact decimal `cost_usd`. Rows: `row_type=user` for each user, `row_type=group` for each group,
/// `row_type=model` for each model (tenant-wide), and a last `row_type=total` row. Sum one row type only.
public struct ReportsController: Sendable {
    let dependencies: QuotaAPIDependencies

    /// Creates the controller.
    public init(dependencies: QuotaAPIDependencies) { self.dependencies = dependencies }

    /// `GET /{tenant}/reports/usage?cycle=current|<id>&format=json|csv[&by=<dimension>]` (mounted at
    /// `/v1/tenants`); with `by`, the rows are the values of a declared dimension (see ``DimensionsReportBody``).
    public var endpoints: RouteCollection<QuotaRequestContext> {
        let routes = RouteCollection(context: QuotaRequestContext.self)
        routes.get("{tenant}/reports/usage", use: report)
        return routes
    }

    struct ReportBody: Encodable {
        var report: TenantReport
        enum CodingKeys: String, CodingKey {
            case tenant, cycle, users, groups, models, totals, resets
            case cycleID = "cycle_id"
        }
        struct Row: Encodable {
            var row: ReportRow
            var key: String
            struct Key: CodingKey {
                var stringValue: String
                var intValue: Int? { nil }
                init(stringValue: String) { self.stringValue = stringValue }
                init?(intValue: Int) { nil }
            }
            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: Key.self)
                try c.encode(row.id, forKey: Key(stringValue: key))
                try c.encode(TotalsBody(row.totals), forKey: Key(stringValue: "totals"))
            }
        }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(report.tenant, forKey: .tenant)
            try c.encode(report.cycleID, forKey: .cycleID)
            try c.encode(CycleBody(report.cycle), forKey: .cycle)
            try c.encode(report.users.map { Row(row: $0, key: "user") }, forKey: .users)
            try c.encode(report.groups.map { Row(row: $0, key: "group") }, forKey: .groups)
            try c.encode(report.models.mapValues(TotalsBody.init), forKey: .models)
            try c.encode(TotalsBody(report.totals), forKey: .totals)
            try c.encode(report.resets.map(UsageResetBody.init), forKey: .resets)
        }
    }

    /// The CSV columns, in order.
    public static let csvColumns = [
        "row_type", "tenant", "cycle", "user", "group", "model", "input_tokens", "cached_input_tokens", "cache_write_tokens",
        "cache_write_1h_tokens", "output_tokens", "reasoning_tokens", "audio_input_tokens", "audio_output_tokens",
        "web_search_requests", "total_tokens", "requests", "errors", "unpriced_requests", "estimated_requests",
        "cost_nano_usd", "cost_usd",
    ]

    /// The CSV header row.
    public static var csvHeader: String { csvColumns.joined(separator: ",") }

    @Sendable func report(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let tenant = try await dependencies.authorizedTenant(request, context, scope: .reportsRead)
        let cycleID = try UsageController.cycleParameter(request)
        let format = request.uri.queryParameters.get("format") ?? "json"
        guard format == "json" || format == "csv" else { throw APIError.badRequest("format must be json or csv") }
        if let dimension = HistoryController.query(request, "by") {
            return try await dimensionReport(tenant: tenant, dimension: dimension, cycleID: cycleID, csv: format == "csv")
        }
        let report: TenantReport
        do {
            report = try await dependencies.repository.report(tenant: tenant, cycleID: cycleID, now: await dependencies.repository.currentTime())
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

    /// The report per value of a declared dimension (400 when `dimension` is not declared).
    func dimensionReport(tenant: String, dimension: String, cycleID: String?, csv: Bool) async throws -> Response {
        let report: DimensionReport
        do {
            report = try await HistoryController.history(dependencies).dimensionReport(
                tenant: tenant, dimension: dimension, cycleID: cycleID, now: await dependencies.repository.currentTime()
            )
        } catch let error as QuotaError {
            throw APIError(error)
        }
        let body = DimensionsReportBody(report)
        if !csv { return try JSONResponse.make(value: body) }
        let buffer = ByteBuffer(string: body.csv)
        var headers = HTTPFields()
        headers[.contentType] = "text/csv; charset=utf-8"
        headers[.contentLength] = String(buffer.readableBytes)
        headers[.contentDisposition] = "attachment; filename=\"usage-\(tenant)-\(report.cycle.id)-by-\(dimension).csv\""
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: buffer))
    }

    /// Renders a report as CSV (see the type's documentation for the layout).
    public static func csv(_ report: TenantReport) -> String {
        var lines = [csvHeader]
        func row(_ type: String, user: String = "", group: String = "", model: String = "", _ totals: UsageTotals) -> String {
            let u = totals.usage
            let counts = [
                u.inputTokens, u.cachedInputTokens, u.cacheWriteTokens, u.cacheWrite1hTokens, u.outputTokens, u.reasoningTokens,
                u.audioInputTokens, u.audioOutputTokens, u.webSearchRequests, totals.tokens, totals.requests, totals.errors,
                totals.unpricedRequests, totals.estimatedRequests, totals.costNanoUSD,
            ]
            let fields = [type, escape(report.tenant), escape(report.cycleID), escape(user), escape(group), escape(model)]
                + counts.map { String($0) } + [DecimalUSD.string(fromNanoUSD: totals.costNanoUSD)]
            return fields.joined(separator: ",")
        }
        for user in report.users { lines.append(row("user", user: user.id, user.totals)) }
        for group in report.groups { lines.append(row("group", group: group.id, group.totals)) }
        for model in report.models.keys.sorted() {
            if let totals = report.models[model] { lines.append(row("model", model: model, totals)) }
        }
        lines.append(row("total", report.totals))
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    static func escape(_ field: String) -> String {
        var needsQuotes = field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
        // Guard against spreadsheet formula injection.
        if let first = field.first, "=+-@".contains(first) { needsQuotes = true }
        guard needsQuotes else { return field }
        var escaped = field.replacingOccurrences(of: "\"", with: "\"\"")
        if let first = escaped.first, "=+-@".contains(first) { escaped = "'" + escaped }
        return "\"\(escaped)\""
    }
}
