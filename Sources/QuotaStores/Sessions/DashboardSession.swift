public import Foundation

/// A signed-in dashboard session as stored in Redis (see ``DashboardSessionStore``).
///
/// It names the key it was opened with only by the key's SHA-256 (never the key), so every request can
/// check that the key still exists: revoking the key ends the session.
public struct DashboardSession: Sendable, Hashable {
    /// Who signed in.
    public enum Kind: String, Sendable, Hashable {
        /// One of the configured admin keys.
        case admin
        /// A tenant key.
        case tenant
    }

    /// Admin or tenant key.
    public var kind: Kind
    /// The tenant of a tenant key ('' for admins).
    public var tenant: String
    /// The lower-case hex SHA-256 of the key signed in with.
    public var keyDigest: String
    /// The key's scopes at sign-in (names; requests use the scopes the key has now).
    public var scopes: [String]
    /// The per-session CSRF token every form carries (base64url of 32 random bytes).
    public var csrfToken: String
    /// When the session was opened.
    public var created: Date

    /// The hash fields stored in Redis.
    public var fields: [(String, String)] {
        [
            ("kind", kind.rawValue), ("tenant", tenant), ("key", keyDigest), ("scopes", scopes.joined(separator: ",")),
            ("csrf", csrfToken), ("created", String(Int(created.timeIntervalSince1970))),
        ]
    }

    /// Reads a session from its hash; nil when a field is missing or malformed.
    public init?(hash: [String: String]) {
        guard let kind = hash["kind"].flatMap(Kind.init(rawValue:)), let tenant = hash["tenant"], let key = hash["key"], key.utf8.count == 64,
              let csrf = hash["csrf"], !csrf.isEmpty, let created = hash["created"].flatMap({ Int($0) })
        else { return nil }
        self.kind = kind
        self.tenant = tenant
        self.keyDigest = key
        self.scopes = (hash["scopes"] ?? "").split(separator: ",").map(String.init)
        self.csrfToken = csrf
        self.created = Date(timeIntervalSince1970: TimeInterval(created))
    }

    /// Creates a session.
    public init(kind: Kind, tenant: String, keyDigest: String, scopes: [String], csrfToken: String, created: Date) {
        self.kind = kind
        self.tenant = tenant
        self.keyDigest = keyDigest
        self.scopes = scopes
        self.csrfToken = csrfToken
        self.created = created
    }
}
