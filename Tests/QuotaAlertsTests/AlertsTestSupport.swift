import AsyncRedis
import EmbeddedRedis
import Foundation
import Logging
@testable import QuotaAlerts
import Testing

/// Delivery settings fast enough for tests: 20 ms polls, 20–200 ms backoff, 400 ms timeout.
func fastSettings(maximumRetry: Duration = .seconds(60)) -> WebhookDeliverySettings {
    var settings = WebhookDeliverySettings(
        // A generous attempt timeout: on a loaded machine a receiver's answer may take long, and a timed-out
        // attempt is repeated (at least once), which the exact-count tests would misread.
        timeout: .seconds(5), maximumRetry: maximumRetry, initialBackoff: .milliseconds(20),
        maximumBackoff: .milliseconds(200), pollInterval: .milliseconds(20), allowPrivateTargets: true
    )
    settings.abandonedAlertScanInterval = .milliseconds(50)
    return settings
}

/// Runs `body` with a private redis-server and a client.
func withAlertsRedis<T>(_ body: (RedisClient) async throws -> T) async throws -> T {
    try await withRedisServer { server in
        var configuration = try RedisConfiguration(url: server.url)
        configuration.poolSize = 4
        configuration.commandTimeout = .seconds(5)
        let client = RedisClient(configuration: configuration, logger: Logger(label: "test.redis"))
        try await client.waitUntilConnected(timeout: .seconds(5))
        do {
            let result = try await body(client)
            await client.shutdown()
            return result
        } catch {
            await client.shutdown()
            throw error
        }
    }
}

/// Runs `body` while delivery services (one per consumer name) run; cancels and awaits them afterwards.
func withDeliveryServices<T: Sendable>(
    client: RedisClient, settings: WebhookDeliverySettings, consumers: [String] = ["test-a"],
    resolver: any WebhookResolver = SystemWebhookResolver(),
    addressCheck: @escaping @Sendable (WebhookAddress) -> WebhookAddress.Restriction? = { $0.restriction },
    _ body: @Sendable () async throws -> T
) async throws -> T {
    let services = consumers.map {
        WebhookDeliveryService(
            client: client, settings: settings, logger: Logger(label: "test.webhooks"), consumer: $0, resolver: resolver,
            addressCheck: addressCheck
        )
    }
    return try await withThrowingTaskGroup(of: Void.self) { group in
        for service in services { group.addTask { try await service.run() } }
        do {
            let result = try await body()
            group.cancelAll()
            try await group.waitForAll()
            return result
        } catch {
            group.cancelAll()
            try? await group.waitForAll()
            throw error
        }
    }
}

/// Appends a synthetic alert to the tenant's alert stream (the record script's format); returns its id.
@discardableResult
func addAlert(
    _ client: RedisClient, tenant: String, type: String = "quota.threshold", user: String = "alice", limit: String = "tokens",
    threshold: Int? = 80, used: Int = 800, value: Int = 1000, event: String = "ev-1"
) async throws -> String {
    let reply = try await client.send(
        "XADD", WebhookKeys(tenant: tenant).alerts, "*", "type", type, "level", "user", "subject", user, "user", user,
        "group", "", "limit", limit, "threshold", threshold.map(String.init) ?? "", "used", used, "value", value,
        "cycle", "2026-11", "at", Int(Date().timeIntervalSince1970 * 1000), "event", event
    )
    return try #require(reply.text)
}

/// Waits until `condition` holds: checked every 10 ms, at most `timeout` (then the test fails).
func waitUntil(
    _ what: String, timeout: Duration = .seconds(20), sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    for _ in 0..<1_000_000 {
        if try await condition() { return }
        if ContinuousClock.now >= deadline { break }
        try await Task.sleep(for: .milliseconds(10))
    }
    Issue.record("timed out after \(timeout) waiting for \(what)", sourceLocation: sourceLocation)
    throw WaitTimeout()
}

/// ``waitUntil(_:timeout:sourceLocation:_:)`` gave up.
struct WaitTimeout: Error {}

/// The deliveries of one webhook as the API lists them.
func deliveries(_ store: WebhookStore, tenant: String, webhook: String) async throws -> [WebhookDelivery] {
    try await store.deliveries(tenant: tenant, webhookID: webhook)
}
