import ArgumentParser
import Foundation
import Histogram
import NIOCore
import NIOPosix
import Synchronization

/// Reservation round trip over HTTP: reserve + commit against a running quotad. First the maximum pair rate
/// (closed loop, one worker per connection), then an open loop at a fraction of it whose latency percentiles
/// are measured from each pair's due time (HdrHistogram), against the target p99. With `--webdis-url`, the
/// reference: webdis running the two `EVALSHA`s quotad sends per pair (captured by `bench-http.sh`), at the
/// same rate and with as many pairs, measured the same way in the same run (the two open loops alternate in
/// halves).
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

    @Option(help: "webdis's base URL, for the reference run (needs --reserve-path and --commit-path).")
    var webdisURL: String?

    @Option(help: "The reserve EVALSHA as a webdis path, with --user-mark and --id-mark in place of the user number and id.")
    var reservePath: String?

    @Option(help: "The commit EVALSHA as a webdis path, marked like --reserve-path.")
    var commitPath: String?

    @Option(help: "The text standing for the user number in the webdis paths.")
    var userMark = "777777777777"

    @Option(help: "The text standing for the reservation id in the webdis paths.")
    var idMark = "888888888888"

    func run() async throws {
        guard concurrency >= 1, users >= 1, maxSeconds > 0, seconds > 0, fraction > 0, fraction <= 1 else {
            throw ValidationError("need --concurrency, --users >= 1, --max-seconds, --seconds > 0 and 0 < --fraction <= 1")
        }
        guard let bearer = key ?? ProcessInfo.processInfo.environment["QUOTA_BENCH_KEY"] else {
            throw ValidationError("give --key or QUOTA_BENCH_KEY")
        }
        let (host, port) = try Self.endpoint(url, option: "--url")
        let reference = try webdisURL.map { webdis in
            guard let reservePath, let commitPath else { throw ValidationError("--webdis-url needs --reserve-path and --commit-path") }
            let (host, port) = try Self.endpoint(webdis, option: "--webdis-url")
            return (host: host, port: port, reservePath: reservePath, commitPath: commitPath)
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        // Everything is bounded: past this deadline every connection opened closes and whatever is pending fails.
        let opened = OpenedConnections()
        @Sendable func connect(_ host: String, _ port: Int) async throws -> [HTTPBenchConnection] {
            var connections: [HTTPBenchConnection] = []
            for _ in 0..<concurrency {
                connections.append(try await opened.add(HTTPBenchConnection.connect(group: group, host: host, port: port, bearer: bearer)))
            }
            return connections
        }
        let limit = maxSeconds + 1 + seconds * (reference == nil ? 3 : 6) + 30
        let watchdog = Task {
            try await Task.sleep(for: .milliseconds(Int(limit * 1000)))
            opened.closeAll()
        }
        let outcome: Result<Void, any Error>
        do {
            let connections = try await connect(host, port)
            // webdis's connections open only when its run starts, so none sits idle through quotad's runs.
            let referenceLoad = reference.map { reference in
                { @Sendable in
                    ReservationLoad.webdis(
                        connections: try await connect(reference.host, reference.port), reservePath: reference.reservePath,
                        commitPath: reference.commitPath, userMark: userMark, idMark: idMark, users: users
                    )
                }
            }
            outcome = .success(try await measure(over: connections, reference: referenceLoad))
        } catch {
            outcome = .failure(error)
        }
        watchdog.cancel()
        opened.closeAll()
        try? await group.shutdownGracefully()
        try outcome.get()
    }

    private static func endpoint(_ url: String, option: String) throws -> (host: String, port: Int) {
        guard let parsed = URL(string: url), let host = parsed.host, let port = parsed.port else {
            throw ValidationError("\(option) must be http://host:port")
        }
        return (host, port)
    }

    private func measure(
        over connections: [HTTPBenchConnection], reference: (@Sendable () async throws -> ReservationLoad)?
    ) async throws {
        let load = ReservationLoad.quotad(connections: connections, tenant: tenant, users: users)
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
        // With the reference, the two open loops alternate in halves (quotad, webdis, quotad, webdis) after a
        // warm-up of webdis like quotad's, so that the machine's drift falls on both alike.
        let reference = try await reference?()
        let referenceWarm = try await reference?.closedLoop(run: run + "rw", until: .now() + .seconds(1)) ?? 0
        let rounds = reference == nil ? 1 : 2
        var latencies: [UInt64] = []
        var referenceLatencies: [UInt64] = []
        for round in 0..<rounds {
            let count = total / rounds + (round < total % rounds ? 1 : 0)
            latencies += try await load.openLoop(run: run + "o\(round)", total: count, interval: interval, start: .now() + .milliseconds(50))
            if let reference {
                referenceLatencies += try await reference.openLoop(
                    run: run + "ro\(round)", total: count, interval: interval, start: .now() + .milliseconds(50)
                )
            }
        }
        // Every pair, quotad's and webdis's alike, commits in the same tenant.
        let pairs = warm + closed + total + (reference == nil ? 0 : referenceWarm + total)
        let after = try await TenantTotals.read(connections[0], tenant: tenant)
        let committed = after.requests - before.requests
        guard committed == pairs, after.reservedRequests == before.reservedRequests else {
            throw HTTPBenchError("\(pairs) pairs answered but \(committed) requests recorded, \(after.reservedRequests - before.reservedRequests) reservations left held")
        }
        print(String(format: "open loop at %.0f pairs/s (%.0f%% of max), %d pairs over %.0f s: every pair reserved (201) and committed (200), all recorded, none left held", rate, fraction * 100, total, seconds))
        let p99 = Self.report(latencies, label: "reserve+commit latency from due time")
        print(String(format: "p99 %.3f ms (target <= %.1f ms): ", p99, targetP99) + (p99 <= targetP99 ? "met" : "NOT met"))
        guard reference != nil else { return }
        let referenceP99 = Self.report(referenceLatencies, label: "webdis reference (the same two EVALSHAs per pair, same rate, alternating halves)")
        print(String(format: "p99 ratio quotad / webdis: %.2f (%.3f ms / %.3f ms)", p99 / referenceP99, p99, referenceP99))
    }

    /// Prints p50 … max of `latencies` (µs) after `label`; returns the p99 in milliseconds.
    private static func report(_ latencies: [UInt64], label: String) -> Double {
        var histogram = Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
        for latency in latencies { _ = histogram.record(latency) }
        func ms(_ percentile: Double) -> Double { Double(histogram.valueAtPercentile(percentile)) / 1000 }
        print(label + String(
            format: ": p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  p99.9 %.3f ms  max %.3f ms",
            ms(50), ms(90), ms(99), ms(99.9), Double(histogram.max) / 1000
        ))
        return ms(99)
    }
}

/// The connections a run opened, closed together (by the watchdog, or at the end).
private final class OpenedConnections: Sendable {
    private let connections = Mutex<[HTTPBenchConnection]>([])

    /// Keeps `connection` to close it later; returns it.
    func add(_ connection: HTTPBenchConnection) -> HTTPBenchConnection {
        connections.withLock { $0.append(connection) }
        return connection
    }

    /// Closes every connection kept so far.
    func closeAll() {
        connections.withLock { $0 }.forEach { $0.close() }
    }
}
