public import Hummingbird
import QuotaDashboard
public import QuotaGateway
public import QuotaHTTP

/// quotad's router: the HTTP API (``QuotaHTTP/buildAPIRouter(_:pages:proxies:)``) with the web dashboard
/// under `/dashboard` (``QuotaDashboard/DashboardController``) and, when configured, the gateway under its
/// prefix (``QuotaGateway/GatewayController``).
public func buildRouter(_ dependencies: QuotaAPIDependencies, gateway: GatewayController? = nil) -> Router<QuotaRequestContext> {
    buildAPIRouter(
        dependencies, pages: [("/dashboard", DashboardController(dependencies: dependencies).endpoints)],
        proxies: gateway.map { [($0.prefix, $0.endpoints)] } ?? []
    )
}
