public import AsyncRedis
import Logging
public import QuotaAlerts
public import TokenAccounting
public import TokenQuota

/// Everything the HTTP handlers use: built once by ``buildApplication(configuration:logger:)`` (or by tests).
public struct QuotaAPIDependencies: Sendable {
    /// The quota store.
    public var repository: any QuotaRepository
    /// The Redis client (readiness checks, keys and settings).
    public var redis: RedisClient
    /// Bearer-key authentication and authorization.
    public var authenticator: Authenticator
    /// The usage-recording switches.
    public var settings: MetricsSettingsStore
    /// quotad's own metrics.
    public var metrics: QuotaMetrics
    /// Model prices.
    public var catalog: PriceCatalog
    /// Local token estimation (reservations from messages).
    public var estimator: TokenEstimator
    /// The largest request body.
    public var maxBodyBytes: Int
    /// The largest batch request body.
    public var maxBatchBodyBytes: Int
    /// The reservation TTL when a request gives none.
    public var reservationDefaultTTLSeconds: Int
    /// The output tokens a reservation holds when neither the request nor the price list names a limit.
    public var reservationDefaultOutputTokens: Int = 16_384
    /// The longest reservation TTL accepted.
    public var reservationMaximumTTLSeconds: Int
    /// Grant reservations when Redis cannot be reached.
    public var reservationsFailOpen: Bool
    /// How long `/readyz` waits for PING.
    public var readinessTimeout: Duration
    /// What to do with usage and reservations for models without a price.
    public var unpricedModels: UnpricedModelPolicy
    /// Webhook delivery settings (target policy, retry window) for the webhooks API.
    public var webhooks: WebhookDeliverySettings = WebhookDeliverySettings()

    /// Creates the dependencies.
    public init(
        repository: any QuotaRepository, redis: RedisClient, authenticator: Authenticator, settings: MetricsSettingsStore,
        metrics: QuotaMetrics, catalog: PriceCatalog, estimator: TokenEstimator = TokenEstimator(),
        maxBodyBytes: Int = 1_048_576, maxBatchBodyBytes: Int = 16 * 1_048_576,
        reservationDefaultTTLSeconds: Int = 300, reservationMaximumTTLSeconds: Int = 3600,
        reservationsFailOpen: Bool = false, readinessTimeout: Duration = .seconds(2),
        unpricedModels: UnpricedModelPolicy = .reject
    ) {
        self.repository = repository
        self.redis = redis
        self.authenticator = authenticator
        self.settings = settings
        self.metrics = metrics
        self.catalog = catalog
        self.estimator = estimator
        self.maxBodyBytes = maxBodyBytes
        self.maxBatchBodyBytes = maxBatchBodyBytes
        self.reservationDefaultTTLSeconds = reservationDefaultTTLSeconds
        self.reservationMaximumTTLSeconds = reservationMaximumTTLSeconds
        self.reservationsFailOpen = reservationsFailOpen
        self.readinessTimeout = readinessTimeout
        self.unpricedModels = unpricedModels
    }

    /// What reservations hold: the domain's planner over these prices, estimator and default output.
    public var planner: ReservationPlanner {
        ReservationPlanner(catalog: catalog, estimator: estimator, defaultOutputTokens: reservationDefaultOutputTokens)
    }

    /// The usage recorder over these dependencies.
    public var recorder: UsageRecorder {
        UsageRecorder(
            repository: repository, catalog: catalog, settings: settings, metrics: metrics, estimator: estimator,
            unpricedModels: unpricedModels
        )
    }
}

extension QuotaAPIDependencies {
    /// Shuts the Redis client down (for callers that built dependencies without an application).
    public func shutdown() async {
        await redis.shutdown()
    }
}
