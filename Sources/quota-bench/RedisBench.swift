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

    @Option(help: "Rounds per comparison: ours and redis-benchmark alternate, and each side's best rate counts (the machine's speed drifts; a slow moment should not decide a ratio).")
    var rounds = 2

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
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1") }
        if mode == .cluster { return try await runCluster() }
        let target = try BenchTarget(redisURL: redisURL)
        defer { target.close() }
        let runner = LoadRunner(concurrency: concurrency, requests: requests, pipeline: pipeline, maxSeconds: maxSeconds)
        let client = try await target.connect(poolSize: poolSize)
        _ = try await client.send("SCRIPT", "LOAD", Self.recordScript.source)
        print("server \(target.host):\(target.port), \(requests) commands per run, concurrency \(concurrency), pool \(poolSize), redis-benchmark -P \(pipeline)")

        // Each workload twice, each time like for like: our 64 tasks pipelining `pipeline` commands per
        // round trip (RedisClient.pipeline) against redis-benchmark -c 64 -P <pipeline>, then one command
        // per round trip (RedisClient.send / evaluate) against redis-benchmark -c 64 -P 1.
        let depth = pipeline
        let incr = RedisCommand("INCR", "bench:{u}:n")
        let incrBatch = [RedisCommand](repeating: incr, count: depth)
        let (oursIncr, refIncr) = try await compare {
            try await runner.measure(batch: depth) { _ in
                for outcome in try await client.pipeline(incrBatch) { _ = try outcome.get() }
            }
        } reference: {
            try runner.referenceRate(target, command: ["INCR", "bench:{u}:n"])
        }
        report("incr  ", ours: oursIncr, reference: refIncr, pipeline: depth)
        let (oursIncrSingle, refIncrSingle) = try await compare {
            try await runner.measure { _ in _ = try await client.send(incr) }
        } reference: {
            try runner.referenceRate(target, pipeline: 1, command: ["INCR", "bench:{u}:n"])
        }
        report("incr  ", ours: oursIncrSingle, reference: refIncrSingle, pipeline: 1)

        // The usage-recording script with a fresh random dedupe key per call (redis-benchmark: __rand_int__).
        let script = Self.recordScript
        let reference = [
            "EVALSHA", Self.recordScript.sha1, "2", "bench:{u}:e:__rand_int__", "bench:{u}:c", "1000", "400", "0", "200", "50", "1", "4000000",
        ]
        let (oursScript, refScript) = try await compare {
            try await runner.measure(batch: depth) { random in
                var batch: [RedisCommand] = []
                batch.reserveCapacity(depth)
                for index in 0..<depth { batch.append(Self.recordCall(script, event: random &+ index)) }
                for outcome in try await client.pipeline(batch) { _ = try outcome.get() }
            }
        } reference: {
            try runner.referenceRate(target, command: reference)
        }
        report("record", ours: oursScript, reference: refScript, pipeline: depth)
        let (oursScriptSingle, refScriptSingle) = try await compare {
            try await runner.measure { random in _ = try await client.send(Self.recordCall(script, event: random)) }
        } reference: {
            try runner.referenceRate(target, pipeline: 1, command: reference)
        }
        report("record", ours: oursScriptSingle, reference: refScriptSingle, pipeline: 1)

        if target.server == nil {
            // Leave a shared server as we found it (apart from statistics).
            _ = try await client.unlinkKeys(matching: "bench:{u}:*")
        }
        await client.shutdown()
        print(String(format: "incr ratio %.2f", oursIncr.rate / refIncr))
        print(String(format: "ratio %.2f", oursScript.rate / refScript))
    }

    /// The record script's EVALSHA for one random event (dedupe key `bench:{u}:e:<12 digits>`).
    static func recordCall(_ script: RedisScript, event: Int) -> RedisCommand {
        var command = RedisCommand("EVALSHA", script.sha1, 2, "bench:{u}:e:" + zeroPadded(event % 100_000_000, width: 12), "bench:{u}:c")
        for argument in [1000, 400, 0, 200, 50, 1, 4_000_000] { command.append(argument) }
        return command
    }

    /// Measures ours and the reference alternately, `rounds` times each, and keeps each side's best rate.
    private func compare(
        ours: () async throws -> LoadRunner.Measurement, reference: () throws -> Double
    ) async throws -> (LoadRunner.Measurement, Double) {
        var best = try await ours()
        var bestReference = try reference()
        for _ in 1..<rounds {
            let measured = try await ours()
            if measured.rate > best.rate { best = measured }
            bestReference = max(bestReference, try reference())
        }
        return (best, bestReference)
    }

    /// One comparison line: our rate, redis-benchmark's at the same pipeline depth, and their ratio.
    private func report(_ name: String, ours: LoadRunner.Measurement, reference: Double, pipeline: Int) {
        print(name + String(
            format: " -P %-2d ours %9.0f ops/s (%.1f µs client CPU each)   redis-benchmark %9.0f ops/s   ratio %.2f",
            pipeline, ours.rate, ours.cpuMicroseconds, reference, ours.rate / reference
        ))
    }
}
