import ArgumentParser
import AsyncRedis
import EmbeddedRedis
import Foundation
import Logging
import TokenQuota

/// Redis memory per user-cycle: records usage for users over several models and asks `MEMORY USAGE`.
struct FootprintBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "footprint",
        abstract: "Redis memory per user-cycle (MEMORY USAGE of the cycle hash) with N models; target <= 1 KiB for 5 models."
    )

    @Option(help: "Models per user.")
    var models = 5

    @Option(help: "Users to measure (the figure is their average).")
    var users = 100

    @Option(help: "Events per user.")
    var events = 50

    func run() async throws {
        let server = try RedisServer()
        defer { server.destroy() }
        let client = RedisClient(configuration: try RedisConfiguration(url: server.url), logger: Logger(label: "quota-bench"))
        try await client.waitUntilConnected(timeout: .seconds(5))
        let repository = RedisQuotaRepository(client: client, logger: Logger(label: "quota-bench"))
        let modelNames = ["gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5", "gemini-2.5-pro", "o4-mini", "gpt-5", "claude-haiku-4-5", "gemini-2.5-flash"]
        var random = SystemRandomNumberGenerator()
        for user in 0..<users {
            for event in 0..<events {
                let input = Int.random(in: 100...200_000, using: &random)
                _ = try await repository.record(UsageEvent(
                    tenant: "acme", user: "user-\(user)", eventID: "e-\(event)", model: modelNames[event % min(models, modelNames.count)],
                    usage: TokenUsage(inputTokens: input, cachedInputTokens: input / 3, cacheWriteTokens: input / 10, outputTokens: input / 20, reasoningTokens: input / 40),
                    costNanoUSD: Int.random(in: 1_000...90_000_000, using: &random), priced: true
                ), options: RecordOptions())
            }
        }
        let cycle = try await repository.usage(tenant: "acme", user: "user-0", cycleID: nil, now: Date()).cycle.id
        var total = 0
        for user in 0..<users {
            total += try await client.send("MEMORY", "USAGE", "q:{acme/user-\(user)}:c:\(cycle)", "SAMPLES", "0").int ?? 0
        }
        let perUser = Double(total) / Double(users)
        let dedupe = try await client.send("MEMORY", "USAGE", "q:{acme/user-0}:e:e-0").int ?? 0
        let index = try await client.send("MEMORY", "USAGE", "q:t:{acme}:users:\(cycle)").int ?? 0
        let encoding = try await client.send("OBJECT", "ENCODING", "q:{acme/user-0}:c:\(cycle)").text ?? "?"
        await client.shutdown()
        print("user-cycle totals hash with \(models) models (\(encoding)): \(Int(perUser)) bytes per user-cycle (target <= 1024)")
        print("dedupe marker per event: \(dedupe) bytes (kept for the dedupe TTL)")
        print("tenant report index for \(users) users: \(index) bytes")
        print(String(format: "ratio %.2f", perUser / 1024))
    }
}
