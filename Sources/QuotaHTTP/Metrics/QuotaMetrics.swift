import Metrics
public import TokenAccounting
import Synchronization

/// quotad's own instruments (swift-metrics, exported by ``PrometheusExporter``):
///
/// - `quotad_tokens_total{class,model}` — recorded tokens by class (`input`, `cached_input`,
///   `cache_write`, `output`, `reasoning`, `audio_input`, `audio_output`) and model;
/// - `quotad_cost_nano_usd_total{model}` — recorded cost;
/// - `quotad_usage_events_total{result}` — `recorded`, `duplicate`;
/// - `quotad_unpriced_usage_total{result}` — usage or reservations for models without a price
///   (`rejected`, `allowed`);
/// - `quotad_quota_rejections_total{level,limit}` — reservations refused, by level (`tenant`, `group`, `user`) and
///   limit (`tokens`, `cost`, `requests`, `tokens_per_minute`, …);
/// - `quotad_over_limit_events_total{level}` — recorded events that left a level over a limit;
/// - `quotad_reservation_fail_open_total` — reservations granted without Redis (fail-open mode).
///
/// The `model` label takes only the catalog's model names (the matched canonical name); anything else is
/// `other`, so clients cannot explode the label's cardinality. Token and cost counters are floating-point
/// counters: they lose precision past 2^53 but never wrap to negative.
public final class QuotaMetrics: Sendable {
    private let catalog: PriceCatalog
    private let labels = Mutex<[String: String]>([:])
    private let counters = Mutex<[CounterKey: Counter]>([:])
    private let floatingCounters = Mutex<[CounterKey: FloatingPointCounter]>([:])
    private let failOpen = Counter(label: "quotad_reservation_fail_open_total")

    /// The most model names remembered for label lookups (lookups past it are computed each time).
    static let labelCacheSize = 10_000

    /// A counter's label and dimension values (instruments are cached: one registry lookup per series).
    struct CounterKey: Hashable {
        var label: String
        var dimensions: [String]
    }

    /// Creates the instruments; `catalog` decides which model names are exported as labels.
    public init(catalog: PriceCatalog = .bundledDefault()) {
        self.catalog = catalog
    }

    /// Counts one usage event's outcome, and its tokens and cost when recorded.
    public func usage(model: String, usage: TokenUsage, costNanoUSD: Int, result: String, tokenStatistics: Bool) {
        counter("quotad_usage_events_total", [("result", result)]).increment()
        guard result == "recorded", tokenStatistics else { return }
        let label = modelLabel(model)
        let classes: [(String, Int)] = [
            ("input", usage.inputTokens), ("cached_input", usage.cachedInputTokens),
            ("cache_write", usage.cacheWriteTokens), ("output", usage.outputTokens),
            ("reasoning", usage.reasoningTokens), ("audio_input", usage.audioInputTokens),
            ("audio_output", usage.audioOutputTokens),
        ]
        for (name, count) in classes where count > 0 {
            floatingCounter("quotad_tokens_total", [("class", name), ("model", label)]).increment(by: Double(count))
        }
        if costNanoUSD > 0 {
            floatingCounter("quotad_cost_nano_usd_total", [("model", label)]).increment(by: Double(costNanoUSD))
        }
    }

    /// Counts a refused reservation.
    public func rejection(level: String, limit: String) {
        counter("quotad_quota_rejections_total", [("level", level), ("limit", limit)]).increment()
    }

    /// Counts a recorded event that left a level over one of its limits (recorded anyway: the call happened).
    public func overLimit(level: String) {
        counter("quotad_over_limit_events_total", [("level", level)]).increment()
    }

    /// Counts usage or a reservation for a model without a price (`rejected` or `allowed`).
    public func unpriced(result: String) {
        counter("quotad_unpriced_usage_total", [("result", result)]).increment()
    }

    /// Counts a fail-open reservation.
    public func failOpenReservation() {
        failOpen.increment()
    }

    func counter(_ label: String, _ dimensions: [(String, String)]) -> Counter {
        Self.instrument(in: counters, label, dimensions) { Counter(label: $0, dimensions: $1) }
    }

    func floatingCounter(_ label: String, _ dimensions: [(String, String)]) -> FloatingPointCounter {
        Self.instrument(in: floatingCounters, label, dimensions) { FloatingPointCounter(label: $0, dimensions: $1) }
    }

    /// The cached instrument for a label and dimensions, created by `make` on first use.
    private static func instrument<Instrument: Sendable>(
        in cache: borrowing Mutex<[CounterKey: Instrument]>, _ label: String, _ dimensions: [(String, String)],
        make: (String, [(String, String)]) -> Instrument
    ) -> Instrument {
        let key = CounterKey(label: label, dimensions: dimensions.map { "\($0.0)=\($0.1)" })
        return cache.withLock { cache in
            if let instrument = cache[key] { return instrument }
            let instrument = make(label, dimensions)
            cache[key] = instrument
            return instrument
        }
    }

    /// The catalog's canonical name for `model`, or `other`.
    func modelLabel(_ model: String) -> String {
        if let cached = labels.withLock({ $0[model] }) { return cached }
        let label = catalog.match(model: model)?.matchedName ?? "other"
        labels.withLock { labels in
            if labels.count < Self.labelCacheSize { labels[model] = label }
        }
        return label
    }
}
