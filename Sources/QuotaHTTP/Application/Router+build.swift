public import Hummingbird

/// The application type quotad runs.
public typealias QuotaApplication = Application<RouterResponder<QuotaRequestContext>>

/// Builds the API's router: middleware (request id, metrics, error mapping) and every controller.
///
/// Routes: `/healthz`, `/readyz`, `/metrics`, `/openapi.yaml`, `/v1/settings/metrics`, and the tenant API
/// under `/v1/tenants/{tenant}/…` (see ``OpenAPIDocument``); then `pages`, each route collection mounted at
/// its path and run off the event loop — HTML pages, not API operations (the dashboard); then `proxies`, each
/// mounted at its path on the event loop (the gateway: it awaits the provider, it builds nothing large).
public func buildAPIRouter(
    _ dependencies: QuotaAPIDependencies, pages: [(path: String, routes: RouteCollection<QuotaRequestContext>)] = [],
    proxies: [(path: String, routes: RouteCollection<QuotaRequestContext>)] = []
) -> Router<QuotaRequestContext> {
    let routeTable = RouteTable()
    let router = Router(context: QuotaRequestContext.self)
    router.add(middleware: RequestIDMiddleware())
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: ErrorMiddleware(routes: routeTable))

    // Handlers run on their connection's event loop (EventLoopBoundHTTP1Channel); those that build large
    // answers (reports, history, event listings, dashboard pages) run off it, so they never hold up the loop.
    let heavy = router.group().add(middleware: OffEventLoopMiddleware<QuotaRequestContext>())
    router.addRoutes(SystemController(dependencies: dependencies).endpoints)
    router.addRoutes(SettingsController(dependencies: dependencies).endpoints, atPath: "/v1/settings")
    router.addRoutes(KeysController(dependencies: dependencies).endpoints, atPath: "/v1/tenants")
    router.addRoutes(UsageController(dependencies: dependencies).endpoints, atPath: "/v1/tenants")
    router.addRoutes(ReservationsController(dependencies: dependencies).endpoints, atPath: "/v1/tenants")
    router.addRoutes(QuotaController(dependencies: dependencies).endpoints, atPath: "/v1/tenants")
    heavy.addRoutes(ReportsController(dependencies: dependencies).endpoints, atPath: "/v1/tenants")
    router.addRoutes(WebhooksController(dependencies: dependencies).endpoints, atPath: "/v1/tenants")
    heavy.addRoutes(HistoryController(dependencies: dependencies).endpoints, atPath: "/v1/tenants")
    heavy.addRoutes(EventsController(dependencies: dependencies).endpoints, atPath: "/v1/tenants")
    // HTML pages, not API operations: not in the OpenAPI document.
    for page in pages { heavy.addRoutes(page.routes, atPath: RouterPath(page.path)) }
    // Provider APIs, not quotad's: not in the OpenAPI document either.
    for proxy in proxies { router.addRoutes(proxy.routes, atPath: RouterPath(proxy.path)) }

    routeTable.load(router.routes.map { RouteTable.Route(method: $0.method, path: $0.path.description) })
    return router
}
