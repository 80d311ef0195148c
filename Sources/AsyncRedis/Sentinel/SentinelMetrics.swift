import CoreMetrics
import Synchronization

/// The sentinel monitor's swift-metrics instruments, and the same counts readable in-process (tests, logs).
///
/// Labels: `redis_sentinel_failovers_total` (the primary's address changed), `redis_sentinel_discoveries_total`
/// (dimension `result`: `ok`, `failed`), plus the client's dimensions.
final class SentinelMetrics: Sendable {
    private let failoverCounter: Counter
    private let discoveredCounter: Counter
    private let discoveryFailedCounter: Counter
    private let failoverCount = Atomic<Int>(0)
    private let discoveredCount = Atomic<Int>(0)
    private let discoveryFailedCount = Atomic<Int>(0)

    init(dimensions: [(String, String)]) {
        failoverCounter = Counter(label: "redis_sentinel_failovers_total", dimensions: dimensions)
        discoveredCounter = Counter(label: "redis_sentinel_discoveries_total", dimensions: dimensions + [("result", "ok")])
        discoveryFailedCounter = Counter(label: "redis_sentinel_discoveries_total", dimensions: dimensions + [("result", "failed")])
    }

    func recordFailover() {
        failoverCounter.increment()
        failoverCount.add(1, ordering: .relaxed)
    }

    func recordDiscovery(succeeded: Bool) {
        if succeeded {
            discoveredCounter.increment()
            discoveredCount.add(1, ordering: .relaxed)
        } else {
            discoveryFailedCounter.increment()
            discoveryFailedCount.add(1, ordering: .relaxed)
        }
    }

    /// How many times the client switched to a new primary.
    var failovers: Int { failoverCount.load(ordering: .relaxed) }
    /// How many discoveries found a verified primary.
    var discoveries: Int { discoveredCount.load(ordering: .relaxed) }
    /// How many discoveries found none (no sentinel answered, or the named server was not a primary).
    var failedDiscoveries: Int { discoveryFailedCount.load(ordering: .relaxed) }
}
