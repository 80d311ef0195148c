import Metrics
public import Prometheus

/// The process-wide Prometheus registry behind swift-metrics.
///
/// `MetricsSystem.bootstrap` may run only once per process: ``bootstrap()`` does it on first use (a
/// thread-safe lazy static), so building several applications in one process (tests) is safe.
public enum PrometheusExporter {
    /// The registry every swift-metrics instrument of the process reports to.
    public static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    /// Bootstraps swift-metrics with the Prometheus factory (idempotent).
    public static func bootstrap() {
        _ = registry
    }

    /// The Prometheus text exposition of every metric.
    public static func render() -> [UInt8] {
        registry.emitToBuffer()
    }
}
