import QuotaHTTP
import QuotaStores
import Foundation
import TokenQuota

/// One entry of the tenant's alert stream `q:{t}:al` as the pages list it.
struct AlertRow: Sendable {
    var time: String
    var iso: String
    var type: String
    var isExceeded: Bool
    var level: String
    var subject: String
    var user: String
    var limit: String
    /// `80%` for a threshold alert; nil for `quota.exceeded` (a Mustache section shows an empty string too).
    var threshold: String?
    var used: String
    var value: String

    /// The newest `count` alerts of `tenant`, newest first.
    static func recent(tenant: String, count: Int, feed: AlertFeed, tenantView: DashboardTenant) async throws(APIError) -> [AlertRow] {
        do {
            return try await feed.recent(tenant: tenant, count: count).map { AlertRow(fields: $0, tenant: tenantView) }
        } catch {
            throw APIError(error)
        }
    }

    init(fields: [String: String], tenant: DashboardTenant) {
        let at = fields["at"].flatMap { Int($0) }.map { Date(timeIntervalSince1970: Double($0) / 1000) } ?? Date(timeIntervalSince1970: 0)
        time = tenant.dateTime(at)
        iso = DashboardFormat.iso(at)
        type = fields["type"] ?? ""
        isExceeded = type == "quota.exceeded"
        level = fields["level"] ?? ""
        subject = fields["subject"] ?? ""
        user = fields["user"] ?? ""
        limit = fields["limit"] ?? ""
        threshold = fields["threshold"].flatMap { $0.isEmpty ? nil : $0 + "%" }
        let isCost = limit == "cost"
        func amount(_ text: String?) -> String {
            guard let value = text.flatMap({ Int($0) }) else { return text ?? "" }
            return isCost ? DashboardFormat.usd(nano: value) : DashboardFormat.count(value)
        }
        used = amount(fields["used"])
        value = amount(fields["value"])
    }
}
