import ArgumentParser
import Foundation
import Histogram
import NIOCore
import NIOPosix

/// Reservation round trip over HTTP: reserve + commit against a running quotad. First the maximum pair rate
/// (closed loop, one worker per connection), then an open loop at a fraction of it whose latency percentiles
/// are measured from each pair's due time (HdrHistogram), against the target p99.
struct HTTPReserveBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http-reserve",
        abstract: "Reserve + commit over HTTP: max pair rate (closed loop), then p50/p90/p99/p99.9 at half of it (open loop); target p99 <= 2 ms."
    )

    @Option(help: "quotad's base URL (loopback), e.g. http://127.0.0.1:8080.")
    var url: String

    @Option(help: "A tenant key with reservations:write and usage:read (or set QUOTA_BENCH_KEY).")
    var key: String?

    @Option(help: "The tenant to reserve for.")
    var tenant = "t1"

    @Option(help: "Connections, one worker each.")
    var concurrency = 64

    @Option(help: "Client event-loop threads.")
    var threads = 1

    @Option(help: "Distinct users the pairs spread over.")
    var users = 1000

    @Option(help: "Seconds of the closed-loop (maximum rate) measurement.")
    var maxSeconds = 5.0

    @Option(help: "Seconds of the open-loop measurement.")
    var seconds = 10.0

    @Option(help: "The open loop's rate as a fraction of the maximum.")
    var fraction = 0.5

    @Option(help: "The p99 target, in milliseconds.")
    var targetP99 = 2.0

    func run() async throws {
        guard concurrency >= 1, users >= 1, maxSeconds > 0, seconds > 0, fraction > 0, fraction <= 1 else {
            throw ValidationError("need --concurrency, --users >= 1, --max-seconds, --seconds > 0 and 0 < --fraction <= 1")
        }
        guard let bearer = key ?? ProcessInfo.processInfo.environment["QUOTA_BENCH_KEY"] else {
            throw ValidationError("give --key or QUOTA_BENCH_KEY")
        }
        guard let parsed = URL(string: url), let host = parsed.host, let port = parsed.port else {
            throw ValidationError("--url must be http://host:port")
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        var connections: [HTTPBenchConnection] = []
        for _ in 0..<concurrency {
            connections.append(try await HTTPBenchConnection.connect(group: group, host: host, port: port, bearer: bearer))
        }
        // Everything is bounded: past this deadline the connections close and whatever is pending fails.
        let all = connections
        let limit = maxSeconds + 1 + seconds * 3 + 30
        let watchdog = Task {
            try await Task.sleep(for: .milliseconds(Int(limit * 1000)))
            all.forEach { $0.close() }
        }
        let outcome: Result<Void, any Error>
        do {
            outcome = .success(try await measure(over: connections))
        } catch {
            outcome = .failure(error)
        }
        watchdog.cancel()
        all.forEach { $0.close() }
        try? await group.shutdownGracefully()
        try outcome.get()
    }

    private func measure(over connections: [HTTPBenchConnection]) async throws {
        let load = ReservationLoad(connections: connections, tenant: tenant, users: users)
        let run = "hb" + String(UInt32.random(in: .min ... .max), radix: 16)
        let before = try await TenantTotals.read(connections[0], tenant: tenant)
        let warm = try await load.closedLoop(run: run + "w", until: .now() + .seconds(1))

        let clock = ContinuousClock()
        let started = clock.now
        let closed = try await load.closedLoop(run: run + "c", until: .now() + .milliseconds(Int64(maxSeconds * 1000)))
        let maxRate = Double(closed) / ((clock.now - started) / .seconds(1))
        print(String(format: "closed loop: %d pairs in %.1f s => max %.0f pairs/s (%d connections, %d client threads)", closed, maxSeconds, maxRate, connections.count, threads))

        let rate = maxRate * fraction
        let total = max(1, Int(rate * seconds))
        let interval = TimeAmount.nanoseconds(Int64(1e9 / rate))
        let latencies = try await load.openLoop(run: run + "o", total: total, interval: interval, start: .now() + .milliseconds(50))
        let after = try await TenantTotals.read(connections[0], tenant: tenant)
        let committed = after.requests - before.requests
        guard committed == warm + closed + total, after.reservedRequests == before.reservedRequests else {
            throw HTTPBenchError("\(warm + closed + total) pairs answered but \(committed) requests recorded, \(after.reservedRequests - before.reservedRequests) reservations left held")
        }

        var histogram = Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
        for latency in latencies { _ = histogram.record(latency) }
        func ms(_ percentile: Double) -> Double { Double(histogram.valueAtPercentile(percentile)) / 1000 }
        print(String(format: "open loop at %.0f pairs/s (%.0f%% of max), %d pairs over %.0f s: every pair reserved (201) and committed (200), all recorded, none left held", rate, fraction * 100, total, seconds))
        print(String(
            format: "reserve+commit latency from due time: p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  p99.9 %.3f ms  max %.3f ms",
            ms(50), ms(90), ms(99), ms(99.9), Double(histogram.max) / 1000
        ))
        print(String(format: "p99 %.3f ms (target <= %.1f ms): ", ms(99), targetP99) + (ms(99) <= targetP99 ? "met" : "NOT met"))
    }
}
