import Logging
public import QuotaAlerts
public import QuotaStores
public import TokenAccounting
public import TokenQuota

/// Everything the HTTP handlers use, built once by the server's composition (`QuotadServer`'s
/// `buildDependencies`) or by tests. It holds stores and the repository, never a Redis client.
public struct QuotaAPIDependencies: Sendable {
    /// The quota store.
    public var repository: any QuotaRepository
    /// quotad's own Redis state: keys, settings, sessions, alert and tenant reads, the readiness probe.
    public var stores: Stores
    /// Webhook endpoints and deliveries.
    public var webhookStore: WebhookStore
    /// Bearer-key authentication and authorization.
    public var authenticator: Authenticator
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
        repository: any QuotaRepository, stores: Stores, webhookStore: WebhookStore, authenticator: Authenticator,
        metrics: QuotaMetrics, catalog: PriceCatalog, estimator: TokenEstimator = TokenEstimator(),
        maxBodyBytes: Int = 1_048_576, maxBatchBodyBytes: Int = 16 * 1_048_576,
        reservationDefaultTTLSeconds: Int = 300, reservationMaximumTTLSeconds: Int = 3600,
        reservationsFailOpen: Bool = false, readinessTimeout: Duration = .seconds(2),
        unpricedModels: UnpricedModelPolicy = .reject
    ) {
        self.repository = repository
        self.stores = stores
        self.webhookStore = webhookStore
        self.authenticator = authenticator
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

    /// The usage-recording switches.
    public var settings: MetricsSettingsStore { stores.settings }

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
