/// How webhooks are delivered (the `webhooks.*` settings).
public struct WebhookDeliverySettings: Sendable, Hashable {
    /// One attempt's timeout (`webhooks.timeout_ms`).
    public var timeout: Duration
    /// How long a failing delivery is retried before it is dead-lettered (`webhooks.max_retry_seconds`).
    public var maximumRetry: Duration
    /// The first retry's delay cap; it doubles per attempt (`webhooks.initial_backoff_ms`).
    public var initialBackoff: Duration
    /// The largest delay cap (`webhooks.max_backoff_ms`).
    public var maximumBackoff: Duration
    /// How often new alerts and due deliveries are looked for (`webhooks.poll_interval_ms`).
    public var pollInterval: Duration
    /// Accept webhook URLs on loopback and private networks (`webhooks.allow_private_targets`).
    public var allowPrivateTargets: Bool
    /// The most attempts in flight per quotad instance.
    public var maximumConcurrentDeliveries: Int = 32
    /// The most webhooks one tenant may register.
    public var maximumWebhooksPerTenant: Int = 20
    /// How many recent delivery ids each webhook keeps for its deliveries list.
    public var recentDeliveries: Int = 100
    /// How long a delivered or dead delivery stays visible.
    public var finishedRetention: Duration = .seconds(7 * 86_400)
    /// Alerts read by a consumer that stayed unacknowledged this long are claimed by another one.
    public var abandonedAlertIdle: Duration = .seconds(30)
    /// How often each tenant's stream is scanned for such abandoned alerts.
    public var abandonedAlertScanInterval: Duration = .seconds(5)

    /// Creates settings; the defaults are the configuration's.
    public init(
        timeout: Duration = .milliseconds(5000), maximumRetry: Duration = .seconds(86_400),
        initialBackoff: Duration = .milliseconds(1000), maximumBackoff: Duration = .milliseconds(300_000),
        pollInterval: Duration = .milliseconds(250), allowPrivateTargets: Bool = false
    ) {
        self.timeout = timeout
        self.maximumRetry = maximumRetry
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
        self.pollInterval = pollInterval
        self.allowPrivateTargets = allowPrivateTargets
    }

    /// How long a claimed delivery is reserved for the instance that claimed it: longer than an attempt
    /// can take, so only a dead instance's deliveries are taken over.
    public var lease: Duration { timeout * 2 + .seconds(5) }

    /// How long a delivery hash lives: the retry window plus the retention of a finished one.
    public var deliveryTTLSeconds: Int { Int(maximumRetry.components.seconds) + Int(finishedRetention.components.seconds) }

    /// The delay before the next attempt after `attempts` failures: full jitter, uniformly random between
    /// zero and `min(maximumBackoff, initialBackoff × 2^(attempts − 1))`.
    public func backoff(afterAttempts attempts: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        let cap = backoffCap(afterAttempts: attempts)
        return .milliseconds(Int.random(in: 0...cap, using: &generator))
    }

    /// The upper bound of ``backoff(afterAttempts:using:)`` in milliseconds.
    public func backoffCap(afterAttempts attempts: Int) -> Int {
        let initial = max(1, initialBackoff.milliseconds)
        let maximum = max(initial, maximumBackoff.milliseconds)
        let shift = min(max(0, attempts - 1), 40)
        let (product, overflow) = initial.multipliedReportingOverflow(by: 1 << shift)
        return overflow ? maximum : min(maximum, product)
    }
}

extension Duration {
    /// The duration in whole milliseconds.
    var milliseconds: Int {
        let (seconds, attoseconds) = components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}
