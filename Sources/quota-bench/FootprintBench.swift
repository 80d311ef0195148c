import ArgumentParser
import AsyncRedis
import EmbeddedRedis
import Foundation
import Logging
import TokenQuota

/// Redis memory per user-cycle (key schema v2): records usage for users over several models and asks
/// `MEMORY USAGE` of what a user-cycle costs — the user's cycle hash, plus the user's share of the tenant's
/// cycle totals and of the tenant cycle's report rows.
struct FootprintBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "footprint",
        abstract: "Redis memory per user-cycle (user cycle hash + shares of tenant totals and report rows) with N models; target <= 1 KiB for 5 models."
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
        let tenantCycle = try await repository.usage(tenant: "acme", subject: .tenant, cycleID: nil, now: Date()).cycle.id

        /// MEMORY USAGE (all samples) of a key that must exist (key schema v2, see QuotaKeys).
        func bytes(_ key: String) async throws -> Int {
            guard let size = try await client.send("MEMORY", "USAGE", key, "SAMPLES", "0").int else {
                throw ValidationError("\(key) does not exist: has the key schema changed?")
            }
            return size
        }
        func describe(_ key: String) async throws -> String {
            let encoding = try await client.send("OBJECT", "ENCODING", key).text ?? "?"
            let fields = try await client.send("HLEN", key).int ?? 0
            return "\(fields) fields, \(encoding)"
        }
        var userCycles = 0
        for user in 0..<users { userCycles += try await bytes("q:{acme}:u:user-\(user):c:\(cycle)") }
        let userCycle = Double(userCycles) / Double(users)
        let tenantKey = "q:{acme}:T:c:\(tenantCycle)"
        let rowsKey = "q:{acme}:T:r:\(tenantCycle)"
        let tenantTotals = try await bytes(tenantKey)
        let rows = try await bytes(rowsKey)
        let perUser = userCycle + Double(tenantTotals) / Double(users) + Double(rows) / Double(users)
        let dedupe = try await bytes("q:{acme}:u:user-0:e:e-0")
        print("\(users) users, \(events) events each over \(models) models, cycle \(cycle)")
        func figure(_ value: Double) -> String { String(format: "%7.1f", value) }
        print("  user cycle hash     \(figure(userCycle)) bytes per user (\(try await describe("q:{acme}:u:user-0:c:\(cycle)")))")
        print("  tenant totals share \(figure(Double(tenantTotals) / Double(users))) bytes per user (\(tenantTotals) bytes / \(users) users; \(try await describe(tenantKey)))")
        print("  report rows share   \(figure(Double(rows) / Double(users))) bytes per user (\(rows) bytes / \(users) users; \(try await describe(rowsKey)))")
        print(String(format: "user-cycle with %d models: %.0f bytes (target <= 1024)", models, perUser))
        print("dedupe marker per event: \(dedupe) bytes (kept for the dedupe TTL, not per cycle)")
        await client.shutdown()
        print(String(format: "ratio %.2f", perUser / 1024))
    }
}
