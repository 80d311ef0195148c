import QuotaStores
import QuotaHTTP
import HTTPTypes
import Mustache

/// The dashboard's Mustache templates (`Templates/*.mustache`, compiled into the binary), registered under
/// their file names so pages can include `{{> header}}`, `{{> chart}}`, ….
///
/// Templates use only `{{ }}` (HTML-escaped) for data; nothing user-supplied is ever rendered unescaped.
enum DashboardTemplates {
    /// Template name → source.
    static let sources: [(name: String, bytes: [UInt8])] = [
        ("header", PackageResources.header_mustache), ("footer", PackageResources.footer_mustache),
        ("chart", PackageResources.chart_mustache), ("meter", PackageResources.meter_mustache),
        ("alerts_list", PackageResources.alerts_list_mustache), ("quota_form", PackageResources.quota_form_mustache),
        ("pager", PackageResources.pager_mustache), ("login", PackageResources.login_mustache),
        ("error", PackageResources.error_mustache), ("tenants", PackageResources.tenants_mustache),
        ("overview", PackageResources.overview_mustache), ("users", PackageResources.users_mustache),
        ("user", PackageResources.user_mustache), ("alerts", PackageResources.alerts_mustache),
        ("settings", PackageResources.settings_mustache), ("reports", PackageResources.reports_mustache),
    ]

    /// The parsed templates, or the first parse error.
    static let library: Result<MustacheLibrary, any Error> = Result {
        var library = MustacheLibrary()
        for (name, bytes) in sources {
            try library.register(String(decoding: bytes, as: UTF8.self), named: name)
        }
        return library
    }

    /// Renders `object` with the template `name`.
    ///
    /// - Throws: ``DashboardError`` (500) when the templates do not parse or the name is unknown.
    static func render(_ object: Any, _ name: String) throws(DashboardError) -> String {
        guard case .success(let library) = library, let text = library.render(object, withTemplate: name) else {
            throw DashboardError(.internalServerError, "the dashboard's templates cannot be rendered")
        }
        return text
    }

    /// Renders a chart on its own (tests, and the SVG a page embeds through `{{> chart}}`).
    static func render(chart: SVGChart) throws(DashboardError) -> String {
        try render(chart.layout(), "chart")
    }
}
