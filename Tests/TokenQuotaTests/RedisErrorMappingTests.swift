import AsyncRedis
import EmbeddedRedis
import Foundation
import Testing
import TokenAccounting
import TokenQuota

/// Redis server states reach callers as typed ``QuotaError``s whose messages carry no Redis reply text.
@Suite struct RedisErrorMappingTests {
    static func event(_ id: String, user: String = "u") -> UsageEvent {
        UsageEvent(tenant: "acme", user: user, eventID: id, model: "gpt-4o", usage: TokenUsage(inputTokens: 10, outputTokens: 5),
                   costNanoUSD: 7, priced: true)
    }

    /// No Redis reply text, script SHA or reply dump in a message shown to API clients.
    static func isClean(_ error: QuotaError) -> Bool {
        let leaks = ["maxmemory", "script:", "user_script", "You can't write", "OOM", "READONLY", "RedisReply", "bulk("]
        return !leaks.contains { error.message.contains($0) }
    }

    @Test func outOfMemoryIsStorageFullAndChangesNothing() async throws {
        try await withRepository { repository, client in
            let first = try await repository.record(Self.event("e1"), options: RecordOptions())
            let cycleKey = "q:{acme}:u:u:c:\(first.cycle.id)"
            let before = try await client.send("HGETALL", cycleKey)
            let keysBefore = try await client.send("DBSIZE")
            _ = try await client.send("CONFIG", "SET", "maxmemory-policy", "noeviction")
            _ = try await client.send("CONFIG", "SET", "maxmemory", "1")
            do {
                // The same user (the record script itself is refused) and a new user (the report index write).
                for event in [Self.event("e2"), Self.event("e1", user: "fresh")] {
                    await #expect { try await repository.record(event, options: RecordOptions()) } throws: {
                        guard let error = $0 as? QuotaError else { return false }
                        return error.code == .storageFull && Self.isClean(error)
                    }
                }
            }
            _ = try await client.send("CONFIG", "SET", "maxmemory", "0")
            #expect(try await client.send("HGETALL", cycleKey) == before)
            #expect(try await client.send("DBSIZE") == keysBefore)
            #expect(try await client.send("EXISTS", "q:{acme}:u:u:e:e2").int == 0)
            // Once memory is available again the same event records normally.
            #expect(try await repository.record(Self.event("e2"), options: RecordOptions()).recorded)
        }
    }

    @Test func readOnlyReplicaIsUnavailable() async throws {
        try await withRepository { repository, client in
            let first = try await repository.record(Self.event("e1"), options: RecordOptions())
            let closedPort = try RedisServer.freePort()  // nothing listens there: the master never answers
            _ = try await client.send("REPLICAOF", "127.0.0.1", closedPort)
            var outcomes: [QuotaError] = []
            for event in [Self.event("e2"), Self.event("e1", user: "fresh")] {
                do {
                    _ = try await repository.record(event, options: RecordOptions())
                } catch let error as QuotaError {
                    outcomes.append(error)
                }
            }
            _ = try await client.send("REPLICAOF", "NO", "ONE")
            #expect(outcomes.count == 2)
            #expect(outcomes.allSatisfy { $0.code == .unavailable && Self.isClean($0) })
            let usage = try await repository.usage(tenant: "acme", user: "u", cycleID: nil, now: Date())
            #expect(usage.totals == first.totals)
        }
    }
}
