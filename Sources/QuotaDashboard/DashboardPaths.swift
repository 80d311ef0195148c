import QuotaStores
import QuotaHTTP
import Foundation

/// The dashboard's URLs, built from validated identifiers: tenant ids need no escaping in a path; user and
/// group ids (any text without control characters, `:` or `|`) are percent-encoded as one path segment.
enum DashboardPaths {
    /// The mount point.
    static let root = "/dashboard"

    /// Whether `path` (a route template or a request path) belongs to the dashboard rather than the API.
    static func isDashboard(_ path: String) -> Bool {
        path == root || path.hasPrefix(root + "/")
    }

    static func tenant(_ tenant: String) -> String { "\(root)/t/\(tenant)" }
    static func user(_ tenant: String, _ user: String) -> String { "\(root)/t/\(tenant)/users/\(segment(user))" }
    static func group(_ tenant: String, _ group: String) -> String { "\(root)/t/\(tenant)/groups/\(segment(group))" }

    /// `value` percent-encoded as one path segment (everything but RFC 3986 unreserved characters and `@`).
    static func segment(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: segmentCharacters) ?? value
    }

    private static let segmentCharacters = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~@")
}
