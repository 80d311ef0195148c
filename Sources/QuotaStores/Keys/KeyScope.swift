public import TokenQuota

/// What a tenant key may do. Admin keys may do everything; a tenant key only what its scopes allow, so a
/// key handed to an application cannot lift its own caps unless it was given `quota:write`.
public enum KeyScope: String, Sendable, Hashable, CaseIterable, Codable {
    /// Record usage (`POST …/usage`, `POST …/usage/batch`).
    case usageWrite = "usage:write"
    /// Hold, commit and release reservations.
    case reservationsWrite = "reservations:write"
    /// Read usage (a user, a group, the tenant).
    case usageRead = "usage:read"
    /// Read tenant reports.
    case reportsRead = "reports:read"
    /// Read quotas (every level).
    case quotaRead = "quota:read"
    /// Change quotas (every level).
    case quotaWrite = "quota:write"
    /// Call providers through the gateway (`/gateway/…`): the gateway reserves, records and releases for the
    /// key's tenant itself, so this scope implies what those need on the gateway's routes only.
    case gateway = "gateway"

    /// The scopes of a key created without any, and of keys created before scopes existed: everything but
    /// `quota:write` and `gateway` (a key reaches the providers only when it was made to).
    public static let defaults: Set<KeyScope> = Set(allCases).subtracting([.quotaWrite, .gateway])

    /// Parses scope names; an unknown name is an ``TokenQuota/QuotaError/Code/invalidArgument`` naming it.
    public static func parse(_ names: [String]) throws(QuotaError) -> Set<KeyScope> {
        var scopes = Set<KeyScope>()
        for name in names {
            guard let scope = KeyScope(rawValue: name) else {
                let known = allCases.map(\.rawValue).joined(separator: ", ")
                throw QuotaError(.invalidArgument, "unknown scope '\(name.prefix(40))': expected some of \(known)")
            }
            scopes.insert(scope)
        }
        return scopes
    }

    /// The scopes as sorted names.
    public static func names(_ scopes: Set<KeyScope>) -> [String] { scopes.map(\.rawValue).sorted() }
}
