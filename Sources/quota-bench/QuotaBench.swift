import ArgumentParser
import AsyncRedis
import EmbeddedRedis
import Foundation
import Logging

/// `quota-bench`: throughput benchmarks that print a ratio against a reference measured in the same run.
@main
struct QuotaBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quota-bench",
        abstract: "Benchmarks quotad's building blocks against a reference measured in the same run.",
        subcommands: [RedisBench.self, FootprintBench.self]
    )
}

/// Runs the usage-recording script and plain INCR through our client and through `redis-benchmark`.
struct RedisBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redis",
        abstract: "Usage-recording Lua script and pipelined INCR: AsyncRedis vs redis-benchmark on the same server."
    )

    @Option(help: "Redis to measure against; a private redis-server on a free port is started when omitted.")
    var redisURL: String?

    @Option(help: "Concurrent tasks issuing commands through our client (and redis-benchmark connections).")
    var concurrency = 64

    @Option(help: "Connections in our client's pool (one connection pipelines best on a 2-core machine).")
    var poolSize = 1

    @Option(help: "Commands per measurement.")
    var requests = 200_000

    @Option(help: "Pipeline depth given to redis-benchmark (-P).")
    var pipeline = 16

    /// A SET NX EX dedupe key plus 7 HINCRBY on one hash, keys sharing a hash tag: the record path's shape.
    static let recordScript = RedisScript("""
    if redis.call('SET', KEYS[1], '1', 'NX', 'EX', 86400) then
      local h = KEYS[2]
      redis.call('HINCRBY', h, 'in', ARGV[1])
      redis.call('HINCRBY', h, 'cin', ARGV[2])
      redis.call('HINCRBY', h, 'cw', ARGV[3])
      redis.call('HINCRBY', h, 'out', ARGV[4])
      redis.call('HINCRBY', h, 'rsn', ARGV[5])
      redis.call('HINCRBY', h, 'req', ARGV[6])
      redis.call('HINCRBY', h, 'cost', ARGV[7])
      return 1
    end
    return 0
    """)

    func run() async throws {
        var server: RedisServer?
        let url: String
        if let redisURL {
            url = redisURL
        } else {
            let started = try RedisServer()
            server = started
            url = started.url
            print("started a private redis-server on \(url)")
        }
        defer { server?.destroy() }
        guard case .tcp(let host, let port) = try RedisConfiguration(url: url).endpoint else {
            throw ValidationError("redis-benchmark needs a TCP URL")
        }
        guard let benchmark = RedisServer.findInPath("redis-benchmark") else {
            throw ValidationError("redis-benchmark not found: apt-get install -y redis-tools")
        }
        var configuration = try RedisConfiguration(url: url)
        configuration.poolSize = poolSize
        let client = RedisClient(configuration: configuration, logger: Logger(label: "quota-bench"))
        try await client.waitUntilConnected(timeout: .seconds(5))
        _ = try await client.send("SCRIPT", "LOAD", Self.recordScript.source)
        print("server \(host):\(port), \(requests) commands per run, concurrency \(concurrency), pool \(poolSize), redis-benchmark -P \(pipeline)")

        // 1. Plain INCR.
        let oursIncr = try await measure(client: client) { client, _ in
            _ = try await client.send("INCR", "bench:{u}:n")
        }
        let refIncr = try referenceRate(benchmark, host: host, port: port, command: ["INCR", "bench:{u}:n"])
        print(String(format: "incr   ours %10.0f ops/s   redis-benchmark %10.0f ops/s   ratio %.2f", oursIncr, refIncr, oursIncr / refIncr))

        // 2. The usage-recording script with a fresh random dedupe key per call (redis-benchmark: __rand_int__).
        let oursScript = try await measure(client: client) { client, random in
            let key = "bench:{u}:e:" + zeroPadded(random, width: 12)
            _ = try await client.evaluate(Self.recordScript, keys: [key, "bench:{u}:c"], arguments: [1000, 400, 0, 200, 50, 1, 4_000_000])
        }
        let refScript = try referenceRate(benchmark, host: host, port: port, command: [
            "EVALSHA", Self.recordScript.sha1, "2", "bench:{u}:e:__rand_int__", "bench:{u}:c", "1000", "400", "0", "200", "50", "1", "4000000",
        ])
        print(String(format: "record ours %10.0f ops/s   redis-benchmark %10.0f ops/s", oursScript, refScript))

        if server == nil {
            // Leave a shared server as we found it (apart from statistics).
            _ = try await client.send("EVAL", "local n = 0 for _, k in ipairs(redis.call('KEYS', 'bench:{u}:*')) do redis.call('UNLINK', k) n = n + 1 end return n", "0")
        }
        await client.shutdown()
        print(String(format: "ratio %.2f", oursScript / refScript))
    }

    /// Runs `requests` operations from `concurrency` tasks and returns operations per second.
    func measure(client: RedisClient, _ operation: @escaping @Sendable (RedisClient, Int) async throws -> Void) async throws -> Double {
        let perTask = requests / concurrency
        // Warm up connections and the script cache.
        for index in 0..<100 { try await operation(client, 999_999_000_000 + index) }
        let clock = ContinuousClock()
        let cpuBefore = processCPUSeconds()
        let start = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<concurrency {
                group.addTask {
                    var generator = SystemRandomNumberGenerator()
                    for _ in 0..<perTask {
                        try await operation(client, Int(generator.next() % 100_000_000) + task * 0)
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = clock.now - start
        let cpu = processCPUSeconds() - cpuBefore
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(String(format: "  (client process CPU: %.1f µs per command)", cpu * 1e6 / Double(perTask * concurrency)))
        return Double(perTask * concurrency) / seconds
    }

    /// Runs redis-benchmark with the same key pattern and returns its requests per second.
    func referenceRate(_ binary: String, host: String, port: Int, command: [String]) throws -> Double {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "-h", host, "-p", String(port), "-c", String(concurrency), "-P", String(pipeline),
            "-n", String(requests), "-r", "100000000", "--csv",
        ] + command
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        // CSV: a header line, then "name","rps",...
        for line in text.split(separator: "\n") where !line.hasPrefix("\"test\"") {
            let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
            if fields.count >= 2, let rate = Double(fields[1]) { return rate }
        }
        throw ValidationError("could not read redis-benchmark's output: \(text)")
    }
}

/// Formats a non-negative integer with leading zeros, like redis-benchmark's `__rand_int__`.
func zeroPadded(_ value: Int, width: Int) -> String {
    let digits = String(value)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}

/// CPU time (user + system) this process has used, in seconds.
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}
