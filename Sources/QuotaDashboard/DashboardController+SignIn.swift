import QuotaHTTP
import QuotaStores
import Foundation
import Hummingbird
import Logging

extension DashboardController {
    /// The cookie carrying the sign-in form's CSRF token (double submit: there is no session yet).
    static let loginCookieName = "quotad_login"

    struct LoginPage: Sendable {
        var layout: DashboardLayout
        var loginToken: String
        var error: String?
    }

    /// `GET /dashboard/login`: the sign-in form (a signed-in viewer goes to `/dashboard`).
    @Sendable func loginForm(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        if try await DashboardViewer.resolve(request, dependencies: dependencies) != nil { return DashboardResponse.redirect(DashboardPaths.root) }
        return try loginPage(request, error: nil, status: .ok)
    }

    func loginPage(_ request: Request, error: String?, status: HTTPResponse.Status) throws -> Response {
        let token = DashboardToken.make()
        let page = LoginPage(layout: DashboardLayout(title: "Sign in"), loginToken: token, error: error)
        var response = DashboardResponse.html(try DashboardTemplates.render(page, "login"), status: status)
        response.setCookie(Self.cookie(Self.loginCookieName, token, maxAge: 3600, request: request))
        return response
    }

    /// `POST /dashboard/login`: checks the form's token against the sign-in cookie, then the key; a wrong key
    /// is the form again with `401`; a right one opens a session and redirects to `/dashboard`.
    @Sendable func login(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let form = try await DashboardForm.read(request)
        guard let expected = request.cookies[Self.loginCookieName]?.value, DashboardToken.isWellFormed(expected),
              DashboardToken.matches(form["csrf"], expected)
        else {
            throw DashboardError.csrf
        }
        let principal: Principal
        let digest: String
        do {
            (principal, digest) = try await dependencies.authenticator.principal(presentedKey: form["key"] ?? "")
        } catch {
            guard error.status == .unauthorized else { throw error }
            context.logger.info("dashboard sign-in refused")
            return try loginPage(request, error: "That key is not valid (unknown, revoked or mistyped).", status: .unauthorized)
        }
        let session: DashboardSession
        switch principal {
        case .admin:
            session = DashboardSession(
                kind: .admin, tenant: "", keyDigest: digest, scopes: KeyScope.names(Set(KeyScope.allCases)), csrfToken: DashboardToken.make(),
                created: Date()
            )
        case .tenant(let tenant, _, let scopes):
            session = DashboardSession(
                kind: .tenant, tenant: tenant, keyDigest: digest, scopes: KeyScope.names(scopes), csrfToken: DashboardToken.make(), created: Date()
            )
        }
        let id = try await dependencies.stores.sessions.create(session)
        context.logger.info("dashboard sign-in", metadata: ["dashboard.kind": "\(session.kind.rawValue)", "quota.tenant": "\(session.tenant)"])
        var response = DashboardResponse.redirect(DashboardPaths.root)
        response.setCookie(Self.cookie(DashboardViewer.cookieName, id, maxAge: DashboardSessionStore.lifetimeSeconds, request: request))
        response.setCookie(Self.cookie(Self.loginCookieName, "", maxAge: 0, request: request))
        return response
    }

    /// `POST /dashboard/logout` (CSRF): deletes the session and its cookie.
    @Sendable func logout(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let (viewer, _) = try await post(request)
        try await dependencies.stores.sessions.delete(viewer.sessionID)
        var response = DashboardResponse.redirect("/dashboard/login")
        response.setCookie(Self.cookie(DashboardViewer.cookieName, "", maxAge: 0, request: request))
        return response
    }
}
