import ArgumentParser

/// `quota-bench redis --mode`: measure one server against redis-benchmark, or a cluster next to one server.
enum BenchMode: String, ExpressibleByArgument, CaseIterable {
    /// Our client vs redis-benchmark on one server.
    case standalone
    /// The record script through our client on a 3-primary cluster next to a single node, in the same run.
    case cluster
}
