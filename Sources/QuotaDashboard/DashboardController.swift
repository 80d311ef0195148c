public import QuotaHTTP
import QuotaStores
import Foundation
import HTTPTypes
public import Hummingbird
import Logging
import TokenQuota

/// The web dashboard at `/dashboard`: server-rendered HTML pages (Mustache templates) over the same
/// repository, key store and settings as the API.
///
/// Sign-in takes an admin key or a tenant key (checked as the API checks bearer keys) and opens a session
/// (see ``DashboardSessionStore``) kept in the `quotad_session` cookie (HttpOnly, SameSite=Strict,
/// Path=/dashboard, Secure when the request came over TLS, i.e. `X-Forwarded-Proto: https`). Every
/// request re-checks the key behind the session; every `POST` carries the session's CSRF token. Keys
/// never appear in URLs or logs. Tenant keys see only their tenant, and only what their scopes allow.
///
/// Routes (under `/dashboard`): `GET|POST login`, `POST logout`, `GET ` (tenants, admin), `GET|POST settings`
/// (admin), `GET static/dashboard.css|js`, and per tenant `t/{tenant}`, `…/users`, `…/users/{user}`,
/// `POST …/users/{user}/quota`, `…/groups`, `…/groups/{group}`, `POST …/groups/{group}/quota`, `…/alerts`,
/// `POST …/alerts/retry`, `…/reports`, `…/reports.csv`.
public struct DashboardController: Sendable {
    let dependencies: QuotaAPIDependencies

    /// Creates the controller.
    public init(dependencies: QuotaAPIDependencies) { self.dependencies = dependencies }

    /// Whether a route path belongs to the dashboard (HTML pages, not part of the OpenAPI document).
    public static func isDashboardPath(_ path: String) -> Bool { DashboardPaths.isDashboard(path) }

    /// The routes (mount at `/dashboard`).
    public var endpoints: RouteCollection<QuotaRequestContext> {
        let routes = RouteCollection(context: QuotaRequestContext.self)
        routes.add(middleware: DashboardMiddleware())
        routes.get("static/dashboard.css") { _, _ in DashboardResponse.asset(PackageResources.dashboard_css, contentType: "text/css; charset=utf-8") }
        routes.get("static/dashboard.js") { _, _ in
            DashboardResponse.asset(PackageResources.dashboard_js, contentType: "text/javascript; charset=utf-8")
        }
        routes.get("login", use: loginForm)
        routes.post("login", use: login)
        routes.post("logout", use: logout)
        routes.get("", use: home)
        routes.get("settings", use: settings)
        routes.post("settings", use: changeSettings)
        routes.get("t/{tenant}", use: overview)
        routes.get("t/{tenant}/users", use: users)
        routes.get("t/{tenant}/users/{user}", use: user)
        routes.post("t/{tenant}/users/{user}/quota", use: saveUserQuota)
        routes.get("t/{tenant}/groups", use: groups)
        routes.get("t/{tenant}/groups/{group}", use: group)
        routes.post("t/{tenant}/groups/{group}/quota", use: saveGroupQuota)
        routes.get("t/{tenant}/alerts", use: alerts)
        routes.post("t/{tenant}/alerts/retry", use: retryDelivery)
        routes.get("t/{tenant}/reports", use: reports)
        routes.get("t/{tenant}/reports.csv", use: reportCSV)
        return routes
    }

    // MARK: Sessions

    /// The request's viewer; without a live session the middleware redirects to the sign-in page.
    func viewer(_ request: Request) async throws -> DashboardViewer {
        guard let viewer = try await DashboardViewer.resolve(request, dependencies: dependencies) else { throw DashboardError.signInRequired }
        return viewer
    }

    /// The viewer and form of a `POST`, after checking the form's CSRF token against the session's
    /// (constant time): `403` without it.
    func post(_ request: Request) async throws -> (DashboardViewer, DashboardForm) {
        let viewer = try await viewer(request)
        let form = try await DashboardForm.read(request)
        guard DashboardToken.matches(form["csrf"], viewer.csrfToken) else { throw DashboardError.csrf }
        return (viewer, form)
    }

    /// Whether the request reached quotad over TLS (quotad serves plain HTTP itself, so this is a proxy's
    /// `X-Forwarded-Proto: https`, or an `https` request URI).
    static func isSecure(_ request: Request) -> Bool {
        if request.uri.scheme == .https { return true }
        guard let proto = request.headers[forwardedProto] else { return false }
        return proto.split(separator: ",").first?.trimmingCharacters(in: CharacterSet.whitespaces).lowercased() == "https"
    }

    static let forwardedProto = HTTPField.Name("X-Forwarded-Proto")!

    /// A cookie scoped to the dashboard: HttpOnly, SameSite=Strict, Path=/dashboard, Secure over TLS.
    static func cookie(_ name: String, _ value: String, maxAge: Int, request: Request) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: DashboardPaths.root, secure: isSecure(request), httpOnly: true, sameSite: .strict)
    }

    /// A fixed notice for `?notice=` (never text from the request).
    static func notice(_ request: Request) -> String? {
        switch request.uri.queryParameters.get("notice") {
        case "saved": "Saved."
        case "retried": "The delivery was queued for another attempt."
        default: nil
        }
    }

    // MARK: Admin pages

    struct TenantsPage: Sendable {
        var layout: DashboardLayout
        var tenants: [String]
        var hasTenants: Bool
    }

    /// `GET /dashboard`: a tenant key goes to its tenant; an admin picks one (`?tenant=` redirects).
    @Sendable func home(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let viewer = try await viewer(request)
        if case .tenant(let tenant, _, _) = viewer.principal { return DashboardResponse.redirect(DashboardPaths.tenant(tenant)) }
        if let picked = request.uri.queryParameters.get("tenant"), !picked.isEmpty {
            do { try Identifier.validateTenant(picked) } catch { throw DashboardError(.badRequest, error.message) }
            return DashboardResponse.redirect(DashboardPaths.tenant(picked))
        }
        let members: [String]
        do {
            members = try await dependencies.stores.tenants.all()
        } catch {
            throw APIError(error)
        }
        let tenants = members.filter { (try? Identifier.validateTenant($0)) != nil }.sorted().prefix(1000)
        let page = TenantsPage(layout: DashboardLayout(title: "Tenants", viewer: viewer, tenant: nil, section: .tenants), tenants: Array(tenants), hasTenants: !tenants.isEmpty)
        return DashboardResponse.html(try DashboardTemplates.render(page, "tenants"))
    }

    struct SettingsPage: Sendable {
        var layout: DashboardLayout
        var enabled: Bool
        var tokenStatistics: Bool
    }

    /// `GET /dashboard/settings` (admin): the metrics switches and what they affect.
    @Sendable func settings(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let viewer = try await viewer(request)
        guard viewer.isAdmin else { throw DashboardError.forbidden("the settings are for admin keys only") }
        let current: MetricsSettings
        do { current = try await dependencies.settings.refresh() } catch { throw APIError(error) }
        let page = SettingsPage(
            layout: DashboardLayout(title: "Settings", viewer: viewer, tenant: nil, section: .settings, notice: Self.notice(request)),
            enabled: current.enabled, tokenStatistics: current.tokenStatistics
        )
        return DashboardResponse.html(try DashboardTemplates.render(page, "settings"))
    }

    /// `POST /dashboard/settings` (admin, CSRF): sets both switches from the form's checkboxes.
    @Sendable func changeSettings(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let (viewer, form) = try await post(request)
        guard viewer.isAdmin else { throw DashboardError.forbidden("the settings are for admin keys only") }
        let settings: MetricsSettings
        do {
            settings = try await dependencies.settings.update(enabled: form["enabled"] == "on", tokenStatistics: form["token_statistics"] == "on")
        } catch {
            throw APIError(error)
        }
        context.logger.notice(
            "metrics settings changed from the dashboard",
            metadata: ["settings.enabled": "\(settings.enabled)", "settings.token_statistics": "\(settings.tokenStatistics)"]
        )
        return DashboardResponse.redirect("/dashboard/settings?notice=saved")
    }
}
