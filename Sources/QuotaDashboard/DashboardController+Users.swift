import QuotaHTTP
import QuotaStores
import Foundation
import Hummingbird
import Logging
import TokenAccounting
import TokenQuota

extension DashboardController {
    /// One row of the users or groups list.
    struct ListRow: Sendable {
        var name: String
        var href: String
        var tokens: String
        var cost: String
        var requests: String
        var limit: String
        var remaining: String
        var percent: Int
        var meterValue: Int
    }

    /// A sortable column header.
    struct SortHeader: Sendable {
        var label: String
        var href: String
        var ariaSort: String
        var numeric: Bool
    }

    struct ListPage: Sendable {
        var layout: DashboardLayout
        var tenant: String
        var heading: String
        var action: String
        var search: String
        var sort: String
        var dir: String
        var headers: [SortHeader]
        var rows: [ListRow]
        var hasRows: Bool
        var summary: String
        var pager: Pager
        var renderMilliseconds: String
    }

    /// Pagination links.
    struct Pager: Sendable {
        var page: Int
        var pages: Int
        var previous: String?
        var next: String?
        var first: String?
        var last: String?
    }

    /// The query string of a list page.
    static func listHref(_ base: String, _ query: DashboardListing.Query, sort: DashboardListing.Query.Sort? = nil, descending: Bool? = nil, page: Int? = nil) -> String {
        var parts: [String] = []
        if !query.search.isEmpty { parts.append("q=" + DashboardForm.encode(query.search)) }
        parts.append("sort=" + (sort ?? query.sort).rawValue)
        parts.append("dir=" + ((descending ?? query.descending) ? "desc" : "asc"))
        parts.append("page=" + String(page ?? query.page))
        return base + "?" + parts.joined(separator: "&")
    }

    /// A list of report rows (users or groups), one page of it, each row with its exact limit.
    func listPage(
        _ scope: DashboardTenant, request: Request, kind: String, rows: [ReportRow], sortLimits: QuotaLimits, section: DashboardLayout.Section,
        subject: @escaping @Sendable (String) -> QuotaSubject, rowLimits: @escaping @Sendable (String) async throws -> QuotaLimits
    ) async throws -> Response {
        let started = ContinuousClock.now
        let parameters = request.uri.queryParameters
        let query = DashboardListing.Query(
            q: parameters.get("q"), sort: parameters.get("sort"), dir: parameters.get("dir"), page: parameters.get("page")
        )
        let listing = DashboardListing(rows: rows, query: query, limits: sortLimits)
        let base = DashboardPaths.tenant(scope.tenant) + "/" + kind
        let shown = DashboardListing.Query(q: query.search, sort: query.sort.rawValue, dir: query.descending ? "desc" : "asc", page: String(listing.page))
        let limits = try await withThrowingTaskGroup(of: (Int, QuotaLimits).self) { group in
            for (index, row) in listing.rows.enumerated() { group.addTask { (index, try await rowLimits(row.id)) } }
            var result = Array(repeating: QuotaLimits.unlimited, count: listing.rows.count)
            for try await (index, limits) in group { result[index] = limits }
            return result
        }
        // Remaining room takes the page's active reservations off, as the API's usage views do.
        let reserved = try await dependencies.repository.reserved(tenant: scope.tenant, subjects: listing.rows.map { subject($0.id) })
        let listRows = zip(listing.rows, zip(limits, reserved)).map { row, held in
            let (limits, reserved) = held
            let meter = LimitMeter.cycleLimits(limits: limits, totals: row.totals, reserved: reserved).max { $0.percent < $1.percent }
            return ListRow(
                name: row.id, href: base + "/" + row.id, tokens: DashboardFormat.count(row.totals.tokens),
                cost: DashboardFormat.usd(nano: row.totals.costNanoUSD), requests: DashboardFormat.count(row.totals.requests),
                limit: meter.map { "\($0.limit) \($0.label.lowercased())" } ?? "none", remaining: meter?.remaining ?? "—",
                percent: meter?.percent ?? 0, meterValue: meter?.meterValue ?? 0
            )
        }
        let columns: [(DashboardListing.Query.Sort, String, Bool)] = [
            (.name, kind == "users" ? "User" : "Group", false), (.tokens, "Tokens", true), (.cost, "Spend", true), (.requests, "Requests", true),
            (.percent, "% of limit", true),
        ]
        let headers = columns.map { sort, label, numeric in
            let active = sort == shown.sort
            return SortHeader(
                label: label, href: Self.listHref(base, shown, sort: sort, descending: active ? !shown.descending : sort != .name, page: 1),
                ariaSort: active ? (shown.descending ? "descending" : "ascending") : "none", numeric: numeric
            )
        }
        let pager = Pager(
            page: listing.page, pages: listing.pages,
            previous: listing.page > 1 ? Self.listHref(base, shown, page: listing.page - 1) : nil,
            next: listing.page < listing.pages ? Self.listHref(base, shown, page: listing.page + 1) : nil,
            first: listing.page > 1 ? Self.listHref(base, shown, page: 1) : nil,
            last: listing.page < listing.pages ? Self.listHref(base, shown, page: listing.pages) : nil
        )
        let title = kind == "users" ? "Users" : "Groups"
        var page = ListPage(
            layout: scope.layout("\(title) · \(scope.tenant)", section), tenant: scope.tenant, heading: title, action: base, search: query.search,
            sort: shown.sort.rawValue, dir: shown.descending ? "desc" : "asc", headers: headers, rows: listRows, hasRows: !listRows.isEmpty,
            summary: "\(DashboardFormat.count(listing.matching)) of \(DashboardFormat.count(rows.count)) \(kind) with usage in cycle \(scope.cycle.id)",
            pager: pager, renderMilliseconds: ""
        )
        let elapsed = ContinuousClock.now - started
        page.renderMilliseconds = String(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        return DashboardResponse.html(try DashboardTemplates.render(page, "users"))
    }

    /// `GET /dashboard/t/{tenant}/users?q=&sort=&dir=&page=` (`usage:read`).
    @Sendable func users(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let scope = try await tenant(request, context, scope: .usageRead)
        let repository = dependencies.repository
        let report = try await repository.report(tenant: scope.tenant, cycleID: nil, now: scope.now)
        let defaults = try await repository.defaultQuota(tenant: scope.tenant).limits
        let tenant = scope.tenant
        return try await listPage(
            scope, request: request, kind: "users", rows: report.users, sortLimits: defaults, section: .users, subject: QuotaSubject.user
        ) { user in
            try await repository.quota(tenant: tenant, user: user).config.limits
        }
    }

    /// `GET /dashboard/t/{tenant}/groups?…` (`usage:read`).
    @Sendable func groups(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let scope = try await tenant(request, context, scope: .usageRead)
        let repository = dependencies.repository
        let report = try await repository.report(tenant: scope.tenant, cycleID: nil, now: scope.now)
        let tenant = scope.tenant
        return try await listPage(
            scope, request: request, kind: "groups", rows: report.groups, sortLimits: .unlimited, section: .groups, subject: QuotaSubject.group
        ) { group in
            try await repository.quota(tenant: tenant, subject: .group(group))?.limits ?? .unlimited
        }
    }
}
