import AsyncRedis
import EmbeddedRedis
import Foundation
import Logging
import Testing
import TokenQuota
#if canImport(Glibc)
import Glibc
#endif

/// Acknowledged writes (``RepositorySettings/minimumReplicaAcknowledgements``) against a real primary and
/// replica (`--replicaof`): a write answers only once the replica has it; with the replica stopped
/// (SIGSTOP) it fails with `outcome_unknown`, and the retry with the same event id counts it once.
@Suite("Repository: acknowledged writes (primary + replica)", .serialized)
struct ReplicationRepositoryTests {
    /// Runs `body` with a primary, a replica linked to it, a repository asking for `replicas`
    /// acknowledgements, and the replica's process id.
    private func withReplicatedRepository(
        replicas: Int, _ body: (RedisQuotaRepository, pid_t) async throws -> Void
    ) async throws {
        // No delay before the replica's initial (diskless) sync: it is online at once.
        try await withRedisServer(["--repl-diskless-sync-delay", "0"]) { primary in
            try await withRedisServer(["--replicaof", "127.0.0.1", "\(primary.port)"]) { replica in
                let logger = Logger(label: "test.replication")
                var configuration = try RedisConfiguration(url: primary.url)
                configuration.commandTimeout = .seconds(5)
                let client = RedisClient(configuration: configuration, logger: logger)
                let replicaClient = RedisClient(configuration: try RedisConfiguration(url: replica.url), logger: logger)
                defer {
                    let clients = [client, replicaClient]
                    Task { for client in clients { await client.shutdown() } }
                }
                try await client.waitUntilConnected(timeout: .seconds(5))
                try await replicaClient.waitUntilConnected(timeout: .seconds(5))
                try await waitForLink(replicaClient)
                // The replica reports its link up before the primary has its first acknowledgement (until then
                // the primary streams nothing to it, and a WAIT waits for the replica's next periodic ack, up to
                // 1 s): one acknowledged write makes the stream live before the test's own writes.
                _ = try await client.send(RedisCommand("SET", "test:warmup", "1"), acknowledgedBy: 1, within: .seconds(5))
                let info = try await replicaClient.send("INFO", "server").text ?? ""
                let pid = try #require(Self.field("process_id", in: info).flatMap { pid_t($0) })
                var settings = RepositorySettings(quotaCacheMilliseconds: 0)
                settings.minimumReplicaAcknowledgements = replicas
                settings.replicaAcknowledgementTimeout = .milliseconds(300)
                let repository = RedisQuotaRepository(client: client, settings: settings, logger: logger)
                do {
                    try await body(repository, pid)
                } catch {
                    kill(pid, SIGCONT)
                    throw error
                }
                kill(pid, SIGCONT)
            }
        }
    }

    /// Waits (at most 10 s, 1,000 polls) until the replica reports its link to the primary up.
    private func waitForLink(_ replica: RedisClient) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        for _ in 0..<1000 where ContinuousClock.now < deadline {
            let info = try await replica.send("INFO", "replication").text ?? ""
            if Self.field("master_link_status", in: info) == "up" { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("the replica did not link to the primary within 10 s")
    }

    private static func field(_ name: String, in info: String) -> String? {
        info.split(whereSeparator: \.isNewline).first { $0.hasPrefix(name + ":") }
            .map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces) }
    }

    private func event(_ id: String) -> UsageEvent {
        UsageEvent(
            tenant: "acme", user: "u1", eventID: id, model: "gpt-4o", usage: TokenUsage(inputTokens: 10, outputTokens: 5),
            costNanoUSD: 100, priced: true
        )
    }

    @Test func acknowledgedRecordSucceedsWithALiveReplica() async throws {
        try await withReplicatedRepository(replicas: 1) { repository, _ in
            let result = try await repository.record(event("e1"), options: RecordOptions())
            #expect(result.recorded)
            #expect(result.totals.requests == 1)
            try await repository.setQuota(tenant: "acme", user: "u1", QuotaConfig(limits: QuotaLimits(costNanoUSD: 1_000_000)), now: Date())
        }
    }

    @Test func moreAcknowledgementsThanReplicasIsOutcomeUnknown() async throws {
        try await withReplicatedRepository(replicas: 2) { repository, _ in
            let error = await #expect(throws: QuotaError.self) { try await repository.record(event("e1"), options: RecordOptions()) }
            #expect(error?.code == .outcomeUnknown)
            // Reads never wait for replicas.
            let usage = try await repository.usage(tenant: "acme", user: "u1", cycleID: nil, now: Date())
            #expect(usage.totals.requests == 1)
        }
    }

    @Test func stoppedReplicaGivesOutcomeUnknownAndTheRetryCountsOnce() async throws {
        try await withReplicatedRepository(replicas: 1) { repository, replicaPID in
            _ = try await repository.record(event("e1"), options: RecordOptions())
            #expect(kill(replicaPID, SIGSTOP) == 0)
            let error = await #expect(throws: QuotaError.self) { try await repository.record(event("e2"), options: RecordOptions()) }
            #expect(error?.code == .outcomeUnknown)
            #expect(kill(replicaPID, SIGCONT) == 0)

            // The retry with the same event id: acknowledged once the replica caught up (bounded), counted once.
            var retried: RecordResult?
            let deadline = ContinuousClock.now + .seconds(10)
            for _ in 0..<50 where retried == nil && ContinuousClock.now < deadline {
                retried = try? await repository.record(event("e2"), options: RecordOptions())
            }
            let result = try #require(retried)
            #expect(!result.recorded, "the first attempt ran on the primary: the retry must be a duplicate")
            let usage = try await repository.usage(tenant: "acme", user: "u1", cycleID: nil, now: Date())
            #expect(usage.totals.requests == 2)
            #expect(usage.totals.costNanoUSD == 200)
        }
    }
}
