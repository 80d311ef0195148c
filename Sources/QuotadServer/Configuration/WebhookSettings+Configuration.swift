import QuotaAlerts

extension WebhookDeliverySettings {
    /// The delivery settings of quotad's configuration (`webhooks.*`).
    init(configuration: QuotadConfiguration) {
        self.init(
            timeout: .milliseconds(configuration.webhookTimeoutMilliseconds),
            maximumRetry: .seconds(configuration.webhookMaximumRetrySeconds),
            initialBackoff: .milliseconds(configuration.webhookInitialBackoffMilliseconds),
            maximumBackoff: .milliseconds(configuration.webhookMaximumBackoffMilliseconds),
            pollInterval: .milliseconds(configuration.webhookPollMilliseconds),
            allowPrivateTargets: configuration.webhookAllowPrivateTargets
        )
    }
}
