import ArgumentParser

/// `quota-bench`: throughput benchmarks that print a ratio against a reference measured in the same run.
@main
struct QuotaBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quota-bench",
        abstract: "Benchmarks quotad's building blocks against a reference measured in the same run.",
        subcommands: [RedisBench.self, EngineBench.self, FootprintBench.self, HTTPReserveBench.self, HTTPBatchBench.self]
    )
}
