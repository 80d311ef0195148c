import Metrics

/// The delivery service's instruments (swift-metrics, exported by quotad at `/metrics`):
///
/// - `quotad_webhook_deliveries_total{outcome}` — attempts by outcome: `delivered`, `retry`, `dead`;
/// - `quotad_webhook_delivery_failures_total{reason}` — failed attempts: `status` (non-2xx), `refused` (an address not allowed, see `WebhookAddress`), `timeout`,
///   `connection` (refused, reset, DNS …), `deleted` (the webhook was removed);
/// - `quotad_webhook_dead_letters_total` — deliveries given up after `webhooks.max_retry_seconds`;
/// - `quotad_webhook_delivery_duration_seconds` — one attempt's duration (timer);
/// - `quotad_webhook_outbox_lag_seconds` — an alert's age when it is fanned out into deliveries (timer);
/// - `quotad_webhook_fanout_total` — deliveries created from alerts.
struct WebhookMetrics: Sendable {
    let delivered = Counter(label: "quotad_webhook_deliveries_total", dimensions: [("outcome", "delivered")])
    let retried = Counter(label: "quotad_webhook_deliveries_total", dimensions: [("outcome", "retry")])
    let dead = Counter(label: "quotad_webhook_deliveries_total", dimensions: [("outcome", "dead")])
    let deadLetters = Counter(label: "quotad_webhook_dead_letters_total")
    let fannedOut = Counter(label: "quotad_webhook_fanout_total")
    let duration = Timer(label: "quotad_webhook_delivery_duration_seconds", preferredDisplayUnit: .seconds)
    let outboxLag = Timer(label: "quotad_webhook_outbox_lag_seconds", preferredDisplayUnit: .seconds)

    func failure(_ reason: String) {
        Counter(label: "quotad_webhook_delivery_failures_total", dimensions: [("reason", reason)]).increment()
    }

    func outcome(_ outcome: String) {
        switch outcome {
        case "delivered": delivered.increment()
        case "retry": retried.increment()
        case "dead":
            dead.increment()
            deadLetters.increment()
        default: break
        }
    }
}
