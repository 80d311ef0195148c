import EmbeddedRedis
import NIOCore
import HummingbirdCore
public import AsyncRedis
import Foundation
public import Hummingbird
public import Logging
import QuotaAlerts
import QuotaExport
import QuotaGateway
public import QuotaHTTP
import QuotaStores
import ServiceLifecycle
import TokenAccounting
public import TokenQuota

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
    let gatewaySettings = try configuration.gatewaySettings()
    let (dependencies, redis, embedded) = try await buildDependencies(configuration: configuration, logger: logger, makeRepository: makeRepository)
    // Serve only data of the key schema this quotad reads (schema v1 data needs `quotad migrate` first), with a
    // Redis user that may run its scripts.
    do {
        try await checkRedisSchema(
            client: redis, logger: logger, timeout: .milliseconds(configuration.redisConnectTimeoutMilliseconds)
        )
        // A Redis user that may not run quotad's scripts is named now, not at the first request.
        try await checkRedisPermissions(client: redis)
    } catch {
        await redis.shutdown()
        await embedded?.stop()
        throw error
    }
    var gateway: GatewayController?
    var services: [any Service] = []
    if let settings = gatewaySettings {
        let client = settings.makeHTTPClient()
        // First, so it shuts down last: after the HTTP server has drained the calls that use it.
        services.append(GatewayHTTPClient(client: client, logger: logger))
        gateway = GatewayController(dependencies: dependencies, settings: settings, client: client)
        logger.info("gateway enabled", metadata: ["gateway": "\(configuration.gatewaySummary)"])
    }
    services += [
        RedisLifecycleService(client: redis, embedded: embedded, logger: logger),
        SettingsPoller(store: dependencies.settings, interval: .milliseconds(configuration.settingsPollMilliseconds), logger: logger),
        WebhookDeliveryService(client: redis, settings: dependencies.webhooks, logger: logger),
    ]
    // After the Redis lifecycle service, so at shutdown it stops (writing and acknowledging what it read) before Redis does.
    if let export = configuration.influxExportConfiguration(consumerName: configuration.exportConsumerName) {
        services.append(InfluxExporter(client: redis, configuration: export, logger: logger))
    }
    return Application(
        router: buildRouter(dependencies, gateway: gateway),
        server: .quotad(
            readTimeout: .milliseconds(Int64(configuration.httpReadTimeoutMilliseconds)),
            idleTimeout: .milliseconds(Int64(configuration.httpIdleTimeoutMilliseconds)), logger: logger
        ),
        configuration: ApplicationConfiguration(
            address: .hostname(configuration.httpHost, port: configuration.httpPort), serverName: "quotad"
        ),
        services: services,
        logger: logger
    )
}

/// Builds what the handlers need: pricing, Redis (starting the embedded server when no URL is configured),
/// the repository and the stores. The caller owns the returned client (shut it down) and embedded server
/// (stop it), if any; the handlers reach Redis only through the repository and the stores.
public func buildDependencies(
    configuration: QuotadConfiguration,
    logger: Logger = Logger(label: "quotad"),
    makeRepository: (@Sendable (RedisClient, RepositorySettings) -> any QuotaRepository)? = nil
) async throws -> (dependencies: QuotaAPIDependencies, redis: RedisClient, embedded: EmbeddedRedis?) {
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
    let stores = Stores(client: client, keyCacheTTL: .milliseconds(configuration.keyCacheMilliseconds))
    let webhookSettings = WebhookDeliverySettings(configuration: configuration)
    if configuration.adminKeys.isEmpty {
        logger.warning("no admin keys configured (QUOTAD_ADMIN_KEYS): the admin API is unusable")
    }
    var dependencies = QuotaAPIDependencies(
        repository: repository, stores: stores, webhookStore: WebhookStore(client: client, settings: webhookSettings),
        authenticator: Authenticator(adminKeys: configuration.adminKeys, keys: stores.keys),
        metrics: QuotaMetrics(catalog: catalog), catalog: catalog,
        maxBodyBytes: configuration.maxBodyBytes, maxBatchBodyBytes: configuration.maxBatchBodyBytes,
        reservationDefaultTTLSeconds: configuration.reservationDefaultTTLSeconds,
        reservationMaximumTTLSeconds: configuration.reservationMaximumTTLSeconds,
        reservationsFailOpen: configuration.reservationsFailOpen,
        readinessTimeout: .milliseconds(configuration.redisTimeoutMilliseconds),
        unpricedModels: configuration.unpricedModels
    )
    dependencies.webhooks = webhookSettings
    dependencies.reservationDefaultOutputTokens = configuration.reservationDefaultOutputTokens

    // Best effort: start with the stored settings if Redis is already reachable.
    _ = try? await client.waitUntilConnected(timeout: .milliseconds(min(configuration.redisConnectTimeoutMilliseconds, 2000)))
    _ = try? await stores.settings.refresh()
    return (dependencies, client, embedded)
}
