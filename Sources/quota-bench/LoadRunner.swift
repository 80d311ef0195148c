import ArgumentParser
import Foundation

/// Drives an operation from many concurrent tasks, bounded by count and by time, and runs `redis-benchmark`
/// with the same concurrency for the reference rate.
struct LoadRunner {
    /// Concurrent tasks (and redis-benchmark connections).
    var concurrency: Int
    /// Operations per measurement.
    var requests: Int
    /// Pipeline depth given to redis-benchmark (`-P`).
    var pipeline: Int
    /// Longest time one measurement may take, in seconds: our tasks stop early, redis-benchmark is stopped.
    var maxSeconds: Double

    /// The outcome of one of our measurements.
    struct Measurement {
        /// Operations completed.
        var operations: Int
        /// Operations per second.
        var rate: Double
        /// Client process CPU per operation, in microseconds.
        var cpuMicroseconds: Double
        /// Whether the time limit ended the run before every operation was done.
        var stoppedEarly: Bool
    }

    /// Runs `requests` operations (fewer if ``maxSeconds`` passes first) from ``concurrency`` tasks; each
    /// call of `operation` does `batch` of them (a pipeline of `batch` commands, say).
    /// The operation receives a random non-negative integer; `warmup` calls run first, unmeasured.
    func measure(batch: Int = 1, warmup: Int = 100, _ operation: @escaping @Sendable (Int) async throws -> Void) async throws -> Measurement {
        for index in 0..<warmup { try await operation(999_999_000_000 + index * batch) }
        let perTask = max(1, requests / concurrency / batch)
        let clock = ContinuousClock()
        let cpuBefore = processCPUSeconds()
        let start = clock.now
        let deadline = start + .milliseconds(Int(maxSeconds * 1000))
        let done = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    // xorshift64*, seeded once per task: the system generator costs a syscall per number.
                    var state = UInt64.random(in: 1...UInt64.max)
                    var count = 0
                    while count < perTask, clock.now < deadline {
                        state ^= state >> 12
                        state ^= state << 25
                        state ^= state >> 27
                        try await operation(Int((state &* 2_685_821_657_736_338_717) % 1_000_000_000_000))
                        count += 1
                    }
                    return count * batch
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = seconds(clock.now - start)
        let cpu = processCPUSeconds() - cpuBefore
        return Measurement(
            operations: done, rate: Double(done) / elapsed, cpuMicroseconds: cpu * 1e6 / Double(max(done, 1)),
            stoppedEarly: done < perTask * concurrency * batch
        )
    }

    /// Runs redis-benchmark (`-c concurrency -P pipeline -n requests -r keyspace`; `pipeline` defaults to
    /// ``pipeline``) with `command` against the server and returns its requests per second.
    func referenceRate(_ target: BenchTarget, keyspace: Int = 100_000_000, pipeline: Int? = nil, command: [String]) throws -> Double {
        let text = try BoundedProcess.output(target.redisBenchmark, [
            "-h", target.host, "-p", String(target.port), "-c", String(concurrency), "-P", String(pipeline ?? self.pipeline),
            "-n", String(requests), "-r", String(keyspace), "--csv",
        ] + command, timeout: maxSeconds)
        // CSV: a header line, then "name","rps",...
        for line in text.split(separator: "\n") where !line.hasPrefix("\"test\"") {
            let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
            if fields.count >= 2, let rate = Double(fields[1]) { return rate }
        }
        throw ValidationError("could not read redis-benchmark's output: \(text)")
    }
}
