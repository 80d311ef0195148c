public import Hummingbird
import QuotaDashboard
public import QuotaHTTP

/// quotad's router: the HTTP API (``QuotaHTTP/buildAPIRouter(_:pages:)``) with the web dashboard under
/// `/dashboard` (``QuotaDashboard/DashboardController``).
public func buildRouter(_ dependencies: QuotaAPIDependencies) -> Router<QuotaRequestContext> {
    buildAPIRouter(dependencies, pages: [("/dashboard", DashboardController(dependencies: dependencies).endpoints)])
}
