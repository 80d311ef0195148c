import QuotaHTTP
import QuotaStores
import Foundation
import Hummingbird
import NIOCore
import TokenAccounting
import TokenQuota

extension DashboardController {
    struct ReportRowView: Sendable {
        var kind: String
        var name: String
        var href: String?
        var input: String
        var cached: String
        var output: String
        var tokens: String
        var requests: String
        var errors: String
        var cost: String
    }

    struct ReportsPage: Sendable {
        var layout: DashboardLayout
        var tenant: String
        var cycleID: String
        var cycleStart: String
        var cycleEnd: String
        var csvHref: String
        var total: ReportRowView
        var groups: [ReportRowView]
        var models: [ReportRowView]
        var users: [ReportRowView]
        var usersSummary: String
        var pager: Pager
    }

    static func reportRow(_ kind: String, _ name: String, href: String?, _ totals: UsageTotals) -> ReportRowView {
        ReportRowView(
            kind: kind, name: name, href: href, input: DashboardFormat.count(totals.usage.inputTokens),
            cached: DashboardFormat.count(totals.usage.cachedInputTokens), output: DashboardFormat.count(totals.usage.outputTokens),
            tokens: DashboardFormat.count(totals.tokens), requests: DashboardFormat.count(totals.requests), errors: DashboardFormat.count(totals.errors),
            cost: DashboardFormat.usd(nano: totals.costNanoUSD)
        )
    }

    /// The `?cycle=` of a report (nil: the current cycle), validated as the API validates it.
    static func reportCycle(_ request: Request) throws -> String? {
        try UsageController.cycleParameter(request)
    }

    /// `GET /dashboard/t/{tenant}/reports[?cycle=]` (`reports:read`): the cycle report as tables (users 50
    /// per page by id) and a link to the CSV.
    @Sendable func reports(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let scope = try await tenant(request, context, scope: .reportsRead)
        let cycleID = try Self.reportCycle(request)
        let report = try await dependencies.repository.report(tenant: scope.tenant, cycleID: cycleID, now: scope.now)
        let base = DashboardPaths.tenant(scope.tenant) + "/reports"
        let query = DashboardListing.Query(q: nil, sort: "name", dir: "asc", page: request.uri.queryParameters.get("page"))
        let listing = DashboardListing(rows: report.users, query: query, limits: .unlimited)
        let cycleSuffix = cycleID.map { "cycle=" + DashboardForm.encode($0) + "&" } ?? ""
        func pageHref(_ page: Int) -> String { base + "?" + cycleSuffix + "page=" + String(page) }
        let pager = Pager(
            page: listing.page, pages: listing.pages, previous: listing.page > 1 ? pageHref(listing.page - 1) : nil,
            next: listing.page < listing.pages ? pageHref(listing.page + 1) : nil, first: listing.page > 1 ? pageHref(1) : nil,
            last: listing.page < listing.pages ? pageHref(listing.pages) : nil
        )
        let page = ReportsPage(
            layout: scope.layout("Reports · \(scope.tenant)", .reports), tenant: scope.tenant, cycleID: report.cycleID,
            cycleStart: scope.dateTime(report.cycle.start), cycleEnd: scope.dateTime(report.cycle.end),
            csvHref: base + ".csv" + (cycleID.map { "?cycle=" + DashboardForm.encode($0) } ?? ""),
            total: Self.reportRow("total", "All users", href: nil, report.totals),
            groups: report.groups.map { Self.reportRow("group", $0.id, href: DashboardPaths.group(scope.tenant, $0.id), $0.totals) },
            models: report.models.keys.sorted().compactMap { model in report.models[model].map { Self.reportRow("model", model, href: nil, $0) } },
            users: listing.rows.map { Self.reportRow("user", $0.id, href: DashboardPaths.user(scope.tenant, $0.id), $0.totals) },
            usersSummary: "\(DashboardFormat.count(report.users.count)) users", pager: pager
        )
        return DashboardResponse.html(try DashboardTemplates.render(page, "reports"))
    }

    /// `GET /dashboard/t/{tenant}/reports.csv[?cycle=]` (`reports:read`): the API's CSV report
    /// (``ReportsController/csv(_:)``), as a download.
    @Sendable func reportCSV(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let scope = try await tenant(request, context, scope: .reportsRead)
        let report = try await dependencies.repository.report(tenant: scope.tenant, cycleID: try Self.reportCycle(request), now: scope.now)
        let buffer = ByteBuffer(string: ReportsController.csv(report))
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/csv; charset=utf-8", .contentLength: String(buffer.readableBytes),
                .contentDisposition: "attachment; filename=\"usage-\(scope.tenant)-\(report.cycleID).csv\"",
            ],
            body: .init(byteBuffer: buffer)
        )
    }
}
