import ArgumentParser
import AsyncRedis
import Foundation

/// Runs the usage-recording script and plain INCR through our client and through `redis-benchmark`; with
/// `--mode cluster`, the script through our client on a private cluster next to a private single node.
struct RedisBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redis",
        abstract: "Usage-recording Lua script and pipelined INCR: AsyncRedis vs redis-benchmark on the same server (--mode cluster: a 3-primary cluster next to one node)."
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

    @Option(help: "Longest time one measurement may take, in seconds.")
    var maxSeconds = 120.0

    @Option(help: "standalone: our client vs redis-benchmark on one server; cluster: the record script through our client on a private cluster of --primaries nodes next to a private single node.")
    var mode: BenchMode = .standalone

    @Option(help: "Cluster mode: primaries of the private cluster.")
    var primaries = 3

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
        if mode == .cluster { return try await runCluster() }
        let target = try BenchTarget(redisURL: redisURL)
        defer { target.close() }
        let runner = LoadRunner(concurrency: concurrency, requests: requests, pipeline: pipeline, maxSeconds: maxSeconds)
        let client = try await target.connect(poolSize: poolSize)
        _ = try await client.send("SCRIPT", "LOAD", Self.recordScript.source)
        print("server \(target.host):\(target.port), \(requests) commands per run, concurrency \(concurrency), pool \(poolSize), redis-benchmark -P \(pipeline)")

        // 1. Plain INCR.
        let oursIncr = try await runner.measure { _ in
            _ = try await client.send("INCR", "bench:{u}:n")
        }
        print(String(format: "  (client process CPU: %.1f µs per command)", oursIncr.cpuMicroseconds))
        let refIncr = try runner.referenceRate(target, command: ["INCR", "bench:{u}:n"])
        print(String(format: "incr   ours %10.0f ops/s   redis-benchmark %10.0f ops/s   ratio %.2f", oursIncr.rate, refIncr, oursIncr.rate / refIncr))

        // 2. The usage-recording script with a fresh random dedupe key per call (redis-benchmark: __rand_int__).
        let oursScript = try await runner.measure { random in
            let key = "bench:{u}:e:" + zeroPadded(random % 100_000_000, width: 12)
            _ = try await client.evaluate(Self.recordScript, keys: [key, "bench:{u}:c"], arguments: [1000, 400, 0, 200, 50, 1, 4_000_000])
        }
        print(String(format: "  (client process CPU: %.1f µs per command)", oursScript.cpuMicroseconds))
        let refScript = try runner.referenceRate(target, command: [
            "EVALSHA", Self.recordScript.sha1, "2", "bench:{u}:e:__rand_int__", "bench:{u}:c", "1000", "400", "0", "200", "50", "1", "4000000",
        ])
        print(String(format: "record ours %10.0f ops/s   redis-benchmark %10.0f ops/s", oursScript.rate, refScript))

        if target.server == nil {
            // Leave a shared server as we found it (apart from statistics).
            _ = try await client.send("EVAL", "local n = 0 for _, k in ipairs(redis.call('KEYS', 'bench:{u}:*')) do redis.call('UNLINK', k) n = n + 1 end return n", "0")
        }
        await client.shutdown()
        print(String(format: "ratio %.2f", oursScript.rate / refScript))
    }
}
