/// The dashboard's URLs, built from validated identifiers (tenant, user and group ids hold only
/// `A-Z a-z 0-9 . _ @ -`, so they need no escaping in a path).
enum DashboardPaths {
    /// The mount point.
    static let root = "/dashboard"

    /// Whether `path` (a route template or a request path) belongs to the dashboard rather than the API.
    static func isDashboard(_ path: String) -> Bool {
        path == root || path.hasPrefix(root + "/")
    }

    static func tenant(_ tenant: String) -> String { "\(root)/t/\(tenant)" }
    static func user(_ tenant: String, _ user: String) -> String { "\(root)/t/\(tenant)/users/\(user)" }
    static func group(_ tenant: String, _ group: String) -> String { "\(root)/t/\(tenant)/groups/\(group)" }
}
