import Metrics
public import Prometheus

/// The process-wide Prometheus registry behind swift-metrics.
///
/// `MetricsSystem.bootstrap` may run only once per process: ``bootstrap()`` does it on first use (a
/// thread-safe lazy static), so building several applications in one process (tests) is safe.
///
/// swift-metrics instruments carry no help text, so ``render()`` adds a `# HELP` line to every family from
/// ``MetricHelp``, and appends the standard `process_*` metrics (``ProcessMetrics``).
public enum PrometheusExporter {
    /// The registry every swift-metrics instrument of the process reports to.
    public static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.nameAndLabelSanitizer = { name, labels in (counterNames[name] ?? name, labels) }
        MetricsSystem.bootstrap(factory)
        return registry
    }()

    /// Counters of libraries whose names lack the `_total` suffix Prometheus requires of counters
    /// (`promtool check metrics`): Hummingbird's `MetricsMiddleware` counts `hb.requests` and `hb.request.errors`.
    static let counterNames = ["hb.requests": "hb_requests_total", "hb.request.errors": "hb_request_errors_total"]

    /// Bootstraps swift-metrics with the Prometheus factory (idempotent).
    public static func bootstrap() {
        _ = registry
    }

    /// The Prometheus text exposition of every metric, each family with `# HELP` and `# TYPE`.
    public static func render() -> [UInt8] {
        var output = withHelp(registry.emitToBuffer())
        output.append(contentsOf: ProcessMetrics.render().utf8)
        return output
    }

    /// Inserts `# HELP name text` before each `# TYPE name kind` line that has none.
    static func withHelp(_ exposition: [UInt8]) -> [UInt8] {
        let text = String(decoding: exposition, as: UTF8.self)
        var result = ""
        result.reserveCapacity(text.utf8.count + 2048)
        var previous: Substring = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("# TYPE "), !previous.hasPrefix("# HELP ") {
                let name = line.dropFirst(7).prefix { $0 != " " }
                result += "# HELP \(name) \(MetricHelp.text(for: String(name)))\n"
            }
            result += line
            result += "\n"
            previous = line
        }
        if result.hasSuffix("\n\n") { result.removeLast() }
        return Array(result.utf8)
    }
}
