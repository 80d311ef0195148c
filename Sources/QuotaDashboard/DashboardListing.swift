import QuotaStores
import QuotaHTTP
import TokenQuota

/// Search, sort and pagination of a cycle's report rows (users or groups), done in memory on the rows one
/// `HGETALL` of the report hash returned — fast enough for tens of thousands of rows.
///
/// Sort keys: `name`, `tokens`, `cost`, `requests`, `percent` (share of `limits`, the largest of the
/// tokens, cost and requests shares; for users the tenant's default quota, so users with a quota of their
/// own sort as if they had the default — the rows shown carry each user's exact limit).
struct DashboardListing: Sendable {
    /// How the rows are asked for (from the query string).
    struct Query: Sendable, Hashable {
        enum Sort: String, Sendable, CaseIterable {
            case name, tokens, cost, requests, percent
        }
        var search: String = ""
        var sort: Sort = .tokens
        var descending = true
        var page = 1

        /// Reads `q`, `sort`, `dir` and `page` (unknown values fall back to the defaults).
        init(q: String?, sort: String?, dir: String?, page: String?) {
            search = String((q ?? "").prefix(128))
            self.sort = sort.flatMap(Sort.init(rawValue:)) ?? .tokens
            descending = dir.map { $0 != "asc" } ?? (self.sort != .name)
            self.page = max(1, min(page.flatMap { Int($0) } ?? 1, 1_000_000))
        }

        init() {}
    }

    /// Rows per page.
    static let pageSize = 50

    /// The rows of the requested page.
    var rows: [ReportRow]
    /// Rows matching the search.
    var matching: Int
    /// The page shown (clamped to the pages there are).
    var page: Int
    /// The number of pages (at least 1).
    var pages: Int

    /// Filters (case-insensitive substring of the id), sorts (ties by id) and cuts one page.
    init(rows all: [ReportRow], query: Query, limits: QuotaLimits) {
        let needle = query.search.lowercased()
        var rows = needle.isEmpty ? all : all.filter { $0.id.lowercased().contains(needle) }
        func key(_ row: ReportRow) -> Int {
            switch query.sort {
            case .name: 0
            case .tokens: row.totals.tokens
            case .cost: row.totals.costNanoUSD
            case .requests: row.totals.requests
            case .percent: Self.share(row.totals, limits)
            }
        }
        if query.sort == .name {
            rows.sort { query.descending ? $0.id > $1.id : $0.id < $1.id }
        } else {
            let keyed = rows.map { (key($0), $0) }
            rows = keyed.sorted { lhs, rhs in
                if lhs.0 != rhs.0 { return query.descending ? lhs.0 > rhs.0 : lhs.0 < rhs.0 }
                return lhs.1.id < rhs.1.id
            }.map(\.1)
        }
        matching = rows.count
        pages = max(1, (rows.count + Self.pageSize - 1) / Self.pageSize)
        page = min(query.page, pages)
        let start = (page - 1) * Self.pageSize
        self.rows = Array(rows[min(start, rows.count)..<min(start + Self.pageSize, rows.count)])
    }

    /// The largest share (in ten-thousandths, for a stable integer sort) of the limits set, 0 without limits.
    static func share(_ totals: UsageTotals, _ limits: QuotaLimits) -> Int {
        func part(_ used: Int, _ limit: Int?) -> Int {
            guard let limit, limit > 0, used > 0 else { return 0 }
            let product = UInt(used).multipliedFullWidth(by: 10_000)
            guard product.high < UInt(limit) else { return Int.max }
            return Int(clamping: UInt(limit).dividingFullWidth(product).quotient)
        }
        return max(part(totals.tokens, limits.tokens), part(totals.costNanoUSD, limits.costNanoUSD), part(totals.requests, limits.requests))
    }
}
