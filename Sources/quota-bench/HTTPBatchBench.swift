import ArgumentParser
import AsyncRedis
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import TokenQuota

/// Batch ingestion over HTTP against the library path, in one run on the same Redis: `POST …/usage/batch`
/// with 1,000 events per request (closed loop over a few connections) in events/s, next to
/// ``RedisQuotaRepository/record(_:options:)`` called from 64 tasks in this process; target ratio >= 0.5.
struct HTTPBatchBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http-batch",
        abstract: "POST …/usage/batch (1,000 events each) events/s vs RedisQuotaRepository.record at concurrency 64, same Redis; target ratio >= 0.5."
    )

    @Option(help: "quotad's base URL (loopback), e.g. http://127.0.0.1:8080.")
    var url: String

    @Option(help: "A tenant key with usage:write and usage:read (or set QUOTA_BENCH_KEY).")
    var key: String?

    @Option(help: "The Redis quotad uses (the library path is measured against it).")
    var redisURL: String

    @Option(help: "The tenant the batches record for.")
    var tenant = "t1"

    @Option(help: "Events per batch request.")
    var batchSize = 1000

    @Option(help: "Connections posting batches, one batch in flight each.")
    var connections = 4

    @Option(help: "Seconds of the batch measurement.")
    var seconds = 10.0

    @Option(help: "Distinct users the events spread over.")
    var users = 1000

    @Option(help: "Concurrent tasks calling RedisQuotaRepository.record.")
    var concurrency = 64

    @Option(help: "Connections in the library path's client pool.")
    var poolSize = 1

    @Option(help: "Events the library path records (fewer if --max-seconds passes first).")
    var requests = 100_000

    @Option(help: "Longest time the library measurement may take, in seconds.")
    var maxSeconds = 60.0

    func run() async throws {
        guard (1...1000).contains(batchSize), connections >= 1, users >= 1, seconds > 0, concurrency >= 1 else {
            throw ValidationError("need 1 <= --batch-size <= 1000, --connections, --users, --concurrency >= 1, --seconds > 0")
        }
        guard let bearer = key ?? ProcessInfo.processInfo.environment["QUOTA_BENCH_KEY"] else {
            throw ValidationError("give --key or QUOTA_BENCH_KEY")
        }
        guard let parsed = URL(string: url), let host = parsed.host, let port = parsed.port else {
            throw ValidationError("--url must be http://host:port")
        }
        let run = "hb" + String(UInt32.random(in: .min ... .max), radix: 16)
        let (batches, elapsed) = try await postBatches(host: host, port: port, bearer: bearer, run: run)
        let httpRate = Double(batches * batchSize) / elapsed
        print(String(format: "http batch   %9.0f events/s (%d requests of %d events in %.1f s, %d connections): every event recorded once", httpRate, batches, batchSize, elapsed, connections))

        let libraryRate = try await measureLibrary(run: run)
        print(String(format: "library      %9.0f events/s (RedisQuotaRepository.record, concurrency %d, pool %d)", libraryRate, concurrency, poolSize))
        print(String(format: "batch ratio %.2f (target >= 0.5)", httpRate / libraryRate))
    }

    /// Posts batches from every connection for ``seconds``; checks every answer is 200 and every event was
    /// recorded (the tenant's request count grew by exactly the events sent). Returns batches and seconds.
    private func postBatches(host: String, port: Int, bearer: String, run: String) async throws -> (Int, Double) {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var open: [HTTPBenchConnection] = []
        for _ in 0..<connections { open.append(try await HTTPBenchConnection.connect(group: group, host: host, port: port, bearer: bearer)) }
        let all = open
        // Bounded: past this deadline the connections close and whatever is pending fails.
        let watchdog = Task {
            try await Task.sleep(for: .milliseconds(Int((seconds * 3 + 30) * 1000)))
            all.forEach { $0.close() }
        }
        let outcome: Result<(Int, Double), any Error>
        do {
            outcome = .success(try await postBatches(over: all, run: run))
        } catch {
            outcome = .failure(error)
        }
        watchdog.cancel()
        all.forEach { $0.close() }
        try? await group.shutdownGracefully()
        return try outcome.get()
    }

    private func postBatches(over all: [HTTPBenchConnection], run: String) async throws -> (Int, Double) {
        let before = try await TenantTotals.read(all[0], tenant: tenant)
        let clock = ContinuousClock()
        let start = clock.now
        let end = start + .milliseconds(Int(seconds * 1000))
        let (batchSize, users, tenant) = (self.batchSize, self.users, self.tenant)
        let batches = try await withThrowingTaskGroup(of: Int.self) { tasks in
            for (worker, connection) in all.enumerated() {
                tasks.addTask {
                    var sent = 0
                    while clock.now < end {
                        let body = Self.batchBody(run: run, worker: worker, batch: sent, size: batchSize, users: users)
                        _ = try await connection.send(.POST, "/v1/tenants/\(tenant)/usage/batch", body: body, expect: 200).get()
                        sent += 1
                    }
                    return sent
                }
            }
            return try await tasks.reduce(0, +)
        }
        let elapsed = (clock.now - start) / .seconds(1)
        let after = try await TenantTotals.read(all[0], tenant: tenant)
        guard after.requests - before.requests == batches * batchSize else {
            throw HTTPBenchError("\(batches * batchSize) events sent in 200-answered batches, \(after.requests - before.requests) recorded")
        }
        return (batches, elapsed)
    }

    /// One batch: canonical counts (as `scripts/bench-http.sh` posts one at a time), distinct event ids.
    static func batchBody(run: String, worker: Int, batch: Int, size: Int, users: Int) -> String {
        var body = #"{"events":["#
        body.reserveCapacity(size * 190 + 16)
        for item in 0..<size {
            if item > 0 { body += "," }
            let number = (batch * size + item) * 7 + worker
            body += #"{"user":"u\#(number % users)","event_id":"\#(run)-\#(worker)-\#(batch)-\#(item)","model":"gpt-4o","provider":"openai","usage":{"input_tokens":120,"cached_input_tokens":20,"output_tokens":40}}"#
        }
        return body + "]}"
    }

    /// The library path: the same events through ``RedisQuotaRepository`` from ``concurrency`` tasks, on a
    /// tenant of its own in the same Redis; checks each was recorded. Returns events per second.
    private func measureLibrary(run: String) async throws -> Double {
        let target = try BenchTarget(redisURL: redisURL)
        defer { target.close() }
        let client = try await target.connect(poolSize: poolSize)
        let repository = RedisQuotaRepository(client: client, logger: Logger(label: "quota-bench"))
        let tenant = "lib" + run
        let users = self.users
        let runner = LoadRunner(concurrency: concurrency, requests: requests, pipeline: 1, maxSeconds: maxSeconds)
        let measured = try await runner.measure(warmup: 100) { random in
            let event = UsageEvent(
                tenant: tenant, user: "u\(random % users)", eventID: "\(run)-\(random)", provider: .openai, model: "gpt-4o",
                usage: TokenUsage(inputTokens: 120, cachedInputTokens: 20, outputTokens: 40), costNanoUSD: 670_000, priced: true
            )
            guard try await repository.record(event, options: RecordOptions()).recorded else {
                throw HTTPBenchError("library path: event \(event.eventID) taken for a duplicate")
            }
        }
        let usage = try await repository.usage(tenant: tenant, subject: .tenant, cycleID: nil, now: Date())
        guard usage.totals.requests == measured.operations + 100 else {
            throw HTTPBenchError("library path: \(measured.operations + 100) events recorded, the tenant counts \(usage.totals.requests)")
        }
        _ = try await client.unlinkKeys(matching: "q:{\(tenant)}:*")
        await client.shutdown()
        return measured.rate
    }
}
