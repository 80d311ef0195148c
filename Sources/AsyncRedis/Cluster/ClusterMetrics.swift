import CoreMetrics
import Synchronization

/// The cluster router's swift-metrics instruments, and the same counts readable in-process (tests, logs).
///
/// Labels: `redis_cluster_redirects_total` (dimension `kind`: `moved`, `ask`, `tryagain`),
/// `redis_cluster_topology_refreshes_total` (dimension `result`: `ok`, `failed`), plus the client's
/// dimensions.
final class ClusterMetrics: Sendable {
    enum Event: Int, CaseIterable, Sendable {
        case moved, ask, tryAgain, refreshed, refreshFailed
    }

    private let counters: [Counter]
    private let moved = Atomic<Int>(0)
    private let ask = Atomic<Int>(0)
    private let tryAgain = Atomic<Int>(0)
    private let refreshed = Atomic<Int>(0)
    private let refreshFailed = Atomic<Int>(0)

    init(dimensions: [(String, String)]) {
        counters = Event.allCases.map { event in
            switch event {
            case .moved: Counter(label: "redis_cluster_redirects_total", dimensions: dimensions + [("kind", "moved")])
            case .ask: Counter(label: "redis_cluster_redirects_total", dimensions: dimensions + [("kind", "ask")])
            case .tryAgain: Counter(label: "redis_cluster_redirects_total", dimensions: dimensions + [("kind", "tryagain")])
            case .refreshed: Counter(label: "redis_cluster_topology_refreshes_total", dimensions: dimensions + [("result", "ok")])
            case .refreshFailed: Counter(label: "redis_cluster_topology_refreshes_total", dimensions: dimensions + [("result", "failed")])
            }
        }
    }

    func record(_ event: Event) {
        counters[event.rawValue].increment()
        switch event {
        case .moved: moved.add(1, ordering: .relaxed)
        case .ask: ask.add(1, ordering: .relaxed)
        case .tryAgain: tryAgain.add(1, ordering: .relaxed)
        case .refreshed: refreshed.add(1, ordering: .relaxed)
        case .refreshFailed: refreshFailed.add(1, ordering: .relaxed)
        }
    }

    /// How many times `event` happened since the client was created.
    func count(_ event: Event) -> Int {
        switch event {
        case .moved: moved.load(ordering: .relaxed)
        case .ask: ask.load(ordering: .relaxed)
        case .tryAgain: tryAgain.load(ordering: .relaxed)
        case .refreshed: refreshed.load(ordering: .relaxed)
        case .refreshFailed: refreshFailed.load(ordering: .relaxed)
        }
    }
}
