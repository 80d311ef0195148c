import QuotaStores
import QuotaHTTP
import HTTPTypes

/// Why a dashboard request fails; ``DashboardMiddleware`` renders it as an HTML page with its status (or,
/// for ``signInRequired``, redirects to the sign-in page).
struct DashboardError: Error, Sendable {
    /// The HTTP status.
    var status: HTTPResponse.Status
    /// The message shown (escaped by the template; never contains secrets).
    var message: String

    init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    /// No (valid) session: the middleware answers `303` to `/dashboard/login`.
    static let signInRequired = DashboardError(.seeOther, "sign in first")

    /// `403`: the session's key may not do this.
    static func forbidden(_ message: String) -> DashboardError { DashboardError(.forbidden, message) }

    /// `404`.
    static func notFound(_ message: String) -> DashboardError { DashboardError(.notFound, message) }

    /// `403` for a form without the session's CSRF token.
    static let csrf = DashboardError(.forbidden, "the form's security token is missing or out of date; reload the page and try again")
}
