import EmbeddedRedis
import NIOCore
import HummingbirdCore
public import AsyncRedis
import Foundation
public import Hummingbird
public import Logging
import QuotaAlerts
import QuotaExport
import ServiceLifecycle
import TokenAccounting
public import TokenQuota

/// The application type quotad runs.
public typealias QuotaApplication = Application<RouterResponder<QuotaRequestContext>>

/// Builds quotad from its configuration: Redis (embedded `redis-server` when no URL is configured), a
/// check of Redis's key schema (see `SchemaVersion`), the repository, pricing, the router, and the background services (Redis lifecycle, settings poller).
///
/// Services shut down in reverse order, so at SIGTERM/SIGINT the HTTP server drains in-flight requests
/// first, then the settings poller stops, then the Redis client is shut down and the embedded server stopped.
///
/// - Parameters:
///   - configuration: the resolved settings.
///   - logger: the root logger.
///   - makeRepository: replaces the Redis repository (tests); the default is ``RedisQuotaRepository``.
public func buildApplication(
    configuration: QuotadConfiguration,
    logger: Logger = Logger(label: "quotad"),
    makeRepository: (@Sendable (RedisClient, RepositorySettings) -> any QuotaRepository)? = nil
) async throws -> QuotaApplication {
    let (dependencies, embedded) = try await buildDependencies(configuration: configuration, logger: logger, makeRepository: makeRepository)
    // Serve only data of the key schema this quotad reads (schema v1 data needs `quotad migrate` first).
    do {
        try await checkRedisSchema(
            client: dependencies.redis, logger: logger, timeout: .milliseconds(configuration.redisConnectTimeoutMilliseconds)
        )
    } catch {
        await dependencies.redis.shutdown()
        await embedded?.stop()
        throw error
    }
    var services: [any Service] = [
        RedisLifecycleService(client: dependencies.redis, embedded: embedded, logger: logger),
        SettingsPoller(store: dependencies.settings, interval: .milliseconds(configuration.settingsPollMilliseconds), logger: logger),
        WebhookDeliveryService(client: dependencies.redis, settings: dependencies.webhooks, logger: logger),
    ]
    // After the Redis lifecycle service, so at shutdown it stops (writing and acknowledging what it read) before Redis does.
    if let export = configuration.influxExportConfiguration(consumerName: configuration.exportConsumerName) {
        services.append(InfluxExporter(client: dependencies.redis, configuration: export, logger: logger))
    }
    let readTimeout = TimeAmount.milliseconds(Int64(configuration.httpReadTimeoutMilliseconds))
    let serverLogger = logger
    let http1 = HTTP1Channel.Configuration(
        additionalChannelHandlers: [ConnectionGuardHandler(readTimeout: readTimeout, logger: serverLogger)],
        idleTimeout: .milliseconds(Int64(configuration.httpIdleTimeoutMilliseconds))
    )
    return Application(
        router: buildRouter(dependencies),
        server: .eventLoopBoundHTTP1(configuration: http1),
        configuration: ApplicationConfiguration(
            address: .hostname(configuration.httpHost, port: configuration.httpPort), serverName: "quotad"
        ),
        services: services,
        logger: logger
    )
}

/// Builds what the handlers need: pricing, Redis (starting the embedded server when no URL is configured),
/// the repository, key store and settings. The caller owns the returned embedded server, if any.
public func buildDependencies(
    configuration: QuotadConfiguration,
    logger: Logger = Logger(label: "quotad"),
    makeRepository: (@Sendable (RedisClient, RepositorySettings) -> any QuotaRepository)? = nil
) async throws -> (dependencies: QuotaAPIDependencies, embedded: EmbeddedRedis?) {
    PrometheusExporter.bootstrap()
    // Fail at start, not on the first GET /openapi.yaml, when the resource bundle is missing beside the binary.
    _ = OpenAPIDocument.yaml

    var catalog = PriceCatalog.bundledDefault()
    if let file = configuration.pricingFile {
        do {
            catalog = catalog.merging(try PriceCatalog.load(contentsOf: file))
        } catch {
            throw ConfigurationError("pricing file (QUOTAD_PRICING_FILE) \(file): \(error.message)")
        }
    }

    let (client, embedded) = try await connectRedis(configuration: configuration, logger: logger)

    var repositorySettings = RepositorySettings(
        historyCycles: configuration.historyCycles, dedupeTTLSeconds: configuration.dedupeTTLSeconds,
        eventStreamLength: configuration.eventStreamLength,
        maximumReservationTTLSeconds: configuration.reservationMaximumTTLSeconds,
        quotaCacheMilliseconds: configuration.quotaCacheMilliseconds,
        maximumActiveReservationsPerUser: configuration.reservationMaximumActivePerUser
    )
    repositorySettings.tenantEventStreamLength = configuration.exportMaxBacklog
    repositorySettings.eventRetentionSeconds = configuration.eventsRetentionHours * 3600
    repositorySettings.historyDays = configuration.historyDays
    repositorySettings.minimumReplicaAcknowledgements = configuration.redisMinimumReplicaAcknowledgements
    repositorySettings.replicaAcknowledgementTimeout = .milliseconds(configuration.redisReplicaAcknowledgementTimeoutMilliseconds)
    let repository = makeRepository?(client, repositorySettings)
        ?? RedisQuotaRepository(client: client, settings: repositorySettings, logger: logger)
    let settings = MetricsSettingsStore(client: client)
    let keys = TenantKeyStore(client: client, cacheTTL: .milliseconds(configuration.keyCacheMilliseconds))
    if configuration.adminKeys.isEmpty {
        logger.warning("no admin keys configured (QUOTAD_ADMIN_KEYS): the admin API is unusable")
    }
    var dependencies = QuotaAPIDependencies(
        repository: repository, redis: client, authenticator: Authenticator(adminKeys: configuration.adminKeys, keys: keys),
        settings: settings, metrics: QuotaMetrics(catalog: catalog), catalog: catalog,
        maxBodyBytes: configuration.maxBodyBytes, maxBatchBodyBytes: configuration.maxBatchBodyBytes,
        reservationDefaultTTLSeconds: configuration.reservationDefaultTTLSeconds,
        reservationMaximumTTLSeconds: configuration.reservationMaximumTTLSeconds,
        reservationsFailOpen: configuration.reservationsFailOpen,
        readinessTimeout: .milliseconds(configuration.redisTimeoutMilliseconds),
        unpricedModels: configuration.unpricedModels
    )
    dependencies.webhooks = WebhookDeliverySettings(configuration: configuration)
    dependencies.reservationDefaultOutputTokens = configuration.reservationDefaultOutputTokens

    // Best effort: start with the stored settings if Redis is already reachable.
    _ = try? await client.waitUntilConnected(timeout: .milliseconds(min(configuration.redisConnectTimeoutMilliseconds, 2000)))
    _ = try? await settings.refresh()
    return (dependencies, embedded)
}

/// Builds the router: middleware (request id, metrics, error mapping) and every controller.
///
/// Routes: `/healthz`, `/readyz`, `/metrics`, `/openapi.yaml`, `/v1/settings/metrics`, and the tenant API
/// under `/v1/tenants/{tenant}/…` (see ``OpenAPIDocument``), and the web dashboard under `/dashboard` (see
/// ``DashboardController``).
public func buildRouter(_ dependencies: QuotaAPIDependencies) -> Router<QuotaRequestContext> {
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
    // HTML pages, not API operations: not in the OpenAPI document (see DashboardController.isDashboardPath).
    heavy.addRoutes(DashboardController(dependencies: dependencies).endpoints, atPath: "/dashboard")

    routeTable.load(router.routes.map { RouteTable.Route(method: $0.method, path: $0.path.description) })
    return router
}
