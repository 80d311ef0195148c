import QuotaHTTP
import QuotaStores
import Hummingbird

/// Who is looking at a dashboard page: the session (from the `quotad_session` cookie) and what its key
/// may do now.
///
/// Resolved on every request: the session must exist in Redis and its key must still exist (a revoked
/// tenant key or a removed admin key ends the session — within the key lookup cache's TTL, as for the
/// API), and the key's current scopes apply.
struct DashboardViewer: Sendable {
    /// The session id (the cookie value).
    var sessionID: String
    /// The stored session.
    var session: DashboardSession
    /// The key's principal now.
    var principal: Principal

    /// The session cookie's name.
    static let cookieName = "quotad_session"

    /// Whether the session was opened with an admin key.
    var isAdmin: Bool { principal == .admin }

    /// The per-session CSRF token.
    var csrfToken: String { session.csrfToken }

    /// Whether the key may do what `scope` allows (admins may do everything).
    func may(_ scope: KeyScope) -> Bool {
        switch principal {
        case .admin: true
        case .tenant(_, _, let scopes): scopes.contains(scope)
        }
    }

    /// Whether the key may see `tenant`'s pages.
    func mayView(_ tenant: String) -> Bool {
        switch principal {
        case .admin: true
        case .tenant(let own, _, _): own == tenant
        }
    }

    /// Requires access to `tenant` (and `scope`, when given): `403` otherwise.
    func require(tenant: String, scope: KeyScope? = nil) throws(DashboardError) {
        guard mayView(tenant) else { throw .forbidden("this key may see only its own tenant") }
        if let scope, !may(scope) { throw .forbidden("this key lacks the scope \(scope.rawValue)") }
    }

    /// A label for the header: `admin` or `tenant acme (usage:read, …)`.
    var label: String {
        switch principal {
        case .admin: "admin"
        case .tenant(let tenant, _, let scopes): "tenant \(tenant) · \(KeyScope.names(scopes).joined(separator: ", "))"
        }
    }

    /// The request's viewer, or nil without a live session (no cookie, unknown or expired session, key
    /// gone: the stale session is deleted).
    static func resolve(_ request: Request, dependencies: QuotaAPIDependencies) async throws(APIError) -> DashboardViewer? {
        guard let id = request.cookies[cookieName]?.value, DashboardToken.isWellFormed(id) else { return nil }
        let store = dependencies.stores.sessions
        let loaded: DashboardSession?
        do { loaded = try await store.load(id) } catch { throw APIError(error) }
        guard let session = loaded else { return nil }
        guard let principal = try await dependencies.authenticator.currentPrincipal(of: session) else {
            do { try await store.delete(id) } catch { throw APIError(error) }
            return nil
        }
        return DashboardViewer(sessionID: id, session: session, principal: principal)
    }
}
