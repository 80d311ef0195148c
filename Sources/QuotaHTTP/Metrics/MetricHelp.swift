/// The `# HELP` text of each metric family quotad exports (swift-metrics has no place for it).
enum MetricHelp {
    static let texts: [String: String] = [
        "quotad_tokens_total": "Recorded LLM tokens by token class and model (catalog names; others are 'other').",
        "quotad_cost_nano_usd_total": "Recorded LLM cost in nano-USD (1e-9 USD) by model.",
        "quotad_usage_events_total": "Usage events by outcome: recorded, duplicate (retried event id).",
        "quotad_over_limit_events_total": "Recorded events that left a level (tenant, group, user) over one of its limits.",
        "quotad_unpriced_usage_total": "Usage or reservations for models without a price: rejected (a cost limit applies) or allowed.",
        "quotad_quota_rejections_total": "Reservations refused with 429 by level (tenant, group, user) and the limit that refused them.",
        "quotad_reservation_fail_open_total": "Reservations granted without Redis (reservations.fail_open).",
        "quotad_export_points_total": "Points InfluxDB stored and the export acknowledged.",
        "quotad_export_write_failures_total": "InfluxDB writes that failed (connection, timeout, 5xx, 401, 404, 429 ...) and are retried with backoff.",
        "quotad_export_rejected_points_total": "Points InfluxDB refused as bad (400/422): logged, acknowledged, not sent again.",
        "quotad_export_dropped_points_total": "Recorded events trimmed from a tenant stream (export.max_backlog, events.retention_hours) before export.",
        "quotad_export_lag_entries": "Entries of the tenant event streams not yet acknowledged by the export group (undelivered plus pending).",
        "quotad_export_last_success_timestamp_seconds": "Unix time of the last successful InfluxDB write.",
        "quotad_webhook_deliveries_total": "Webhook delivery attempts by outcome: delivered, retry, dead.",
        "quotad_webhook_delivery_failures_total": "Failed webhook attempts by reason: status (non-2xx), timeout, connection, deleted.",
        "quotad_webhook_dead_letters_total": "Webhook deliveries given up after webhooks.max_retry_seconds (or whose webhook was deleted).",
        "quotad_webhook_fanout_total": "Webhook deliveries created from alerts.",
        "quotad_webhook_delivery_duration_seconds": "Duration of one webhook delivery attempt.",
        "quotad_webhook_outbox_lag_seconds": "Age of an alert when it is fanned out into webhook deliveries.",
        "redis_commands_total": "Redis commands sent.",
        "redis_command_errors_total": "Redis commands that failed, by error code.",
        "redis_reconnects_total": "Redis connections re-established after a loss.",
        "redis_connect_failures_total": "Failed Redis connection attempts.",
        "redis_connection_losses_total": "Redis connections lost (server closed, reset, timeout).",
        "redis_timeouts_total": "Redis commands that timed out.",
        "redis_script_reloads_total": "Lua scripts reloaded after NOSCRIPT.",
        "redis_command_duration_seconds": "Redis command round-trip time.",
        "hb_requests_total": "HTTP requests received.",
        "hb_request_errors_total": "HTTP requests that ended in an error.",
        "hb_request_duration": "HTTP request duration in seconds.",
        "hb_active_requests": "HTTP requests in progress.",
        "http_server_request_duration": "HTTP request duration in seconds.",
        "http_server_active_requests": "HTTP requests in progress.",
    ]

    /// The help text for a family; families without an entry (from a library) get a generic one.
    static func text(for name: String) -> String {
        if let text = texts[name] { return text }
        for (suffix, base) in [("_total", ""), ("_seconds", ""), ("_bucket", ""), ("_count", ""), ("_sum", "")] where name.hasSuffix(suffix) {
            if let text = texts[String(name.dropLast(suffix.count)) + base] { return text }
        }
        return "Metric \(name) (see the README, section Metrics)."
    }
}
