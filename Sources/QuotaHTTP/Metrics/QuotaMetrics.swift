import Metrics
public import TokenAccounting
import Synchronization

/// quotad's own instruments (swift-metrics, exported by ``PrometheusExporter``):
///
/// - `quotad_tokens_total{class,model}` — recorded tokens by class (`input`, `cached_input`,
///   `cache_write`, `output`, `reasoning`) and model;
/// - `quotad_cost_nano_usd_total{model}` — recorded cost;
/// - `quotad_usage_events_total{result}` — `recorded`, `duplicate`, `disabled`;
/// - `quotad_quota_rejections_total{limit}` — reservations refused (`tokens`, `cost`, `requests`);
/// - `quotad_reservation_fail_open_total` — reservations granted without Redis (fail-open mode).
///
/// Model labels are bounded: after ``maximumModels`` distinct models, others are reported as `other`.
public final class QuotaMetrics: Sendable {
    /// The most distinct model label values exported.
    public let maximumModels: Int
    private let models = Mutex<Set<String>>([])
    private let counters = Mutex<[CounterKey: Counter]>([:])
    private let failOpen = Counter(label: "quotad_reservation_fail_open_total")

    /// A counter's label and dimension values (instruments are cached: one registry lookup per series).
    struct CounterKey: Hashable {
        var label: String
        var dimensions: [String]
    }

    /// Creates the instruments.
    public init(maximumModels: Int = 200) {
        self.maximumModels = maximumModels
    }

    /// Counts one usage event's outcome, and its tokens and cost when recorded.
    public func usage(model: String, usage: TokenUsage, costNanoUSD: Int, result: String, tokenStatistics: Bool) {
        counter("quotad_usage_events_total", [("result", result)]).increment()
        guard result == "recorded", tokenStatistics else { return }
        let label = modelLabel(model)
        let classes: [(String, Int)] = [
            ("input", usage.inputTokens), ("cached_input", usage.cachedInputTokens),
            ("cache_write", usage.cacheWriteTokens), ("output", usage.outputTokens),
            ("reasoning", usage.reasoningTokens),
        ]
        for (name, count) in classes where count > 0 {
            counter("quotad_tokens_total", [("class", name), ("model", label)]).increment(by: Int64(count))
        }
        if costNanoUSD > 0 {
            counter("quotad_cost_nano_usd_total", [("model", label)]).increment(by: Int64(costNanoUSD))
        }
    }

    /// Counts a refused reservation.
    public func rejection(limit: String) {
        counter("quotad_quota_rejections_total", [("limit", limit)]).increment()
    }

    /// Counts a fail-open reservation.
    public func failOpenReservation() {
        failOpen.increment()
    }

    func counter(_ label: String, _ dimensions: [(String, String)]) -> Counter {
        let key = CounterKey(label: label, dimensions: dimensions.map { "\($0.0)=\($0.1)" })
        return counters.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = Counter(label: label, dimensions: dimensions)
            counters[key] = counter
            return counter
        }
    }

    func modelLabel(_ model: String) -> String {
        models.withLock { seen in
            if seen.contains(model) { return model }
            if seen.count < maximumModels {
                seen.insert(model)
                return model
            }
            return "other"
        }
    }
}
