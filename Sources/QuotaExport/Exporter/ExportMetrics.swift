import Metrics

/// The exporter's instruments (swift-metrics; quotad exports them to Prometheus):
///
/// - `quotad_export_points_total` — points InfluxDB stored (2xx) and that were acknowledged;
/// - `quotad_export_write_failures_total` — writes that failed and will be retried (connection, timeout,
///   5xx, 401/404/413/429 …);
/// - `quotad_export_rejected_points_total` — points InfluxDB refused as bad (400/422); acknowledged, not retried;
/// - `quotad_export_dropped_points_total` — recorded events trimmed from the stream (`export.max_backlog`
///   or `events.retention_hours`) before they were exported;
/// - `quotad_export_lag_entries` — entries of all tenant streams not yet acknowledged by the `export`
///   group (not yet delivered plus delivered but pending), refreshed every few seconds;
/// - `quotad_export_last_success_timestamp_seconds` — when a write last succeeded (Unix time).
public struct ExportMetrics: Sendable {
    let points = Counter(label: "quotad_export_points_total")
    let writeFailures = Counter(label: "quotad_export_write_failures_total")
    let rejected = Counter(label: "quotad_export_rejected_points_total")
    let dropped = Counter(label: "quotad_export_dropped_points_total")
    let lag = Gauge(label: "quotad_export_lag_entries")
    let lastSuccess = Gauge(label: "quotad_export_last_success_timestamp_seconds")

    /// Creates the instruments (with the process's metrics factory).
    public init() {}
}
