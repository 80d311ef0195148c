import AsyncRedis
import EmbeddedRedis
import Foundation
import Logging

extension RedisBench {
    /// The record script through our client against a private `--primaries`-node cluster and a private single
    /// node, with the same keys (1,024 hash tags, so the cluster spreads them over every primary), the same
    /// concurrency and pool size per server; prints both rates and their ratio.
    func runCluster() async throws {
        let single = try RedisServer()
        defer { single.destroy() }
        let cluster = try BenchCluster(primaries: primaries)
        defer { cluster.close() }
        print("single node 127.0.0.1:\(single.port); cluster \(cluster.seeds.joined(separator: ",")) (\(primaries) primaries, no replicas)")
        print("\(requests) record scripts per run, concurrency \(concurrency), pool \(poolSize) per server")
        let runner = LoadRunner(concurrency: concurrency, requests: requests, pipeline: pipeline, maxSeconds: maxSeconds)

        var configuration = try RedisConfiguration(url: single.url)
        configuration.poolSize = poolSize
        let singleClient = RedisClient(configuration: configuration, logger: .init(label: "quota-bench.single"))
        try await singleClient.waitUntilConnected(timeout: .seconds(5))
        let oneNode = try await Self.measureRecord(runner, singleClient)
        await singleClient.shutdown()
        print(String(format: "record single node %10.0f ops/s   (client CPU %.1f µs per script)", oneNode.rate, oneNode.cpuMicroseconds))

        let clusterClient = try await cluster.connect(poolSize: poolSize)
        let spread = try await Self.measureRecord(runner, clusterClient)
        await clusterClient.shutdown()
        print(String(format: "record cluster     %10.0f ops/s   (client CPU %.1f µs per script)", spread.rate, spread.cpuMicroseconds))
        print(String(format: "ratio cluster/single %.2f", spread.rate / oneNode.rate))
    }

    /// The record script with a fresh dedupe key per call, over 1,024 tenants' hash tags.
    static func measureRecord(_ runner: LoadRunner, _ client: RedisClient) async throws -> LoadRunner.Measurement {
        try await runner.measure { random in
            let tag = "{t\(random % 1024)}"
            let key = "bench:\(tag):e:" + zeroPadded(random / 1024 % 100_000_000, width: 12)
            _ = try await client.evaluate(recordScript, keys: [key, "bench:\(tag):c"], arguments: [1000, 400, 0, 200, 50, 1, 4_000_000])
        }
    }
}
