import QuotaStores
import QuotaHTTP
/// What the shared header and footer show: the page title, the signed-in key, the navigation of the
/// current tenant, the CSRF token of the sign-out form and a one-line notice.
struct DashboardLayout: Sendable {
    /// One navigation link.
    struct NavItem: Sendable {
        var href: String
        var label: String
        var current: Bool
    }

    /// The sections of a tenant's pages.
    enum Section: String, Sendable, CaseIterable {
        case overview, users, groups, alerts, reports, settings, tenants
    }

    var title: String
    var signedIn = false
    var principal = ""
    var csrf = ""
    var nav: [NavItem] = []
    var notice: String?
    var timeZone = "UTC"

    /// A layout without a session (sign-in and error pages).
    init(title: String) {
        self.title = title
    }

    /// A layout for a signed-in viewer, on `section` of `tenant` (nil: pages outside a tenant).
    init(title: String, viewer: DashboardViewer, tenant: String?, section: Section, timeZone: String = "UTC", notice: String? = nil) {
        self.title = title
        self.signedIn = true
        self.principal = viewer.label
        self.csrf = viewer.csrfToken
        self.notice = notice
        self.timeZone = timeZone
        var items: [NavItem] = []
        if viewer.isAdmin { items.append(NavItem(href: "/dashboard", label: "Tenants", current: section == .tenants)) }
        if let tenant {
            let base = DashboardPaths.tenant(tenant)
            items += [
                NavItem(href: base, label: "Overview", current: section == .overview),
                NavItem(href: base + "/users", label: "Users", current: section == .users),
                NavItem(href: base + "/groups", label: "Groups", current: section == .groups),
                NavItem(href: base + "/alerts", label: "Alerts & webhooks", current: section == .alerts),
                NavItem(href: base + "/reports", label: "Reports", current: section == .reports),
            ]
        }
        if viewer.isAdmin { items.append(NavItem(href: "/dashboard/settings", label: "Settings", current: section == .settings)) }
        self.nav = items
    }
}
