import AsyncRedis
import EmbeddedRedis
import Foundation
import Logging
import QuotaExport
import ServiceLifecycle
import TokenQuota

/// Whether the InfluxDB integration tests can run here.
let influxMissing = InfluxDBServer.binary == nil

/// Runs `body` with a private Redis (and a client over it) and a private InfluxDB with database `db`.
func withExportServers<T>(
    database: String = "quotad", createStatement: String? = nil, _ body: (RedisClient, InfluxDBServer) async throws -> T
) async throws -> T {
    try await withRedisServer { server in
        var configuration = try RedisConfiguration(url: server.url)
        configuration.commandTimeout = .seconds(5)
        let client = RedisClient(configuration: configuration, logger: Logger(label: "test.redis"))
        try await client.waitUntilConnected(timeout: .seconds(5))
        do {
            let result = try await withInfluxDB { influx in
                _ = try await influx.query(createStatement ?? "CREATE DATABASE \(database)")
                return try await body(client, influx)
            }
            await client.shutdown()
            return result
        } catch {
            await client.shutdown()
            throw error
        }
    }
}

/// A fast-polling exporter configuration for tests.
func testExportConfiguration(_ influx: InfluxDBServer, database: String = "quotad", consumer: String = "test-1") -> InfluxExportConfiguration {
    var configuration = InfluxExportConfiguration(
        target: InfluxTarget(baseURL: influx.url, api: .v1(database: database, retentionPolicy: nil)),
        measurement: "llm_usage", batchSize: 100, flushInterval: .milliseconds(50), consumerName: consumer
    )
    configuration.tenantRefreshInterval = .milliseconds(100)
    configuration.initialBackoff = .milliseconds(20)
    configuration.maximumBackoff = .milliseconds(300)
    configuration.idlePollInterval = .milliseconds(10)
    configuration.writeTimeout = .seconds(5)
    return configuration
}

/// Runs the exporter as a service while `body` runs, then shuts it down gracefully and waits for it.
func whileExporting<T>(
    _ client: RedisClient, _ configuration: InfluxExportConfiguration, _ body: () async throws -> T
) async throws -> T {
    var logger = Logger(label: "test.export")
    logger.logLevel = .notice
    let exporter = InfluxExporter(client: client, configuration: configuration, logger: logger)
    let group = ServiceGroup(configuration: .init(services: [exporter], gracefulShutdownSignals: [], logger: logger))
    let running = Task { try await group.run() }
    do {
        let result = try await body()
        await group.triggerGracefulShutdown()
        try await running.value
        return result
    } catch {
        await group.triggerGracefulShutdown()
        _ = try? await running.value
        throw error
    }
}

/// One synthetic recorded event, as the record script writes it to `q:{t}:x`.
struct SyntheticEvent {
    var tenant: String
    var n: Int
    var user: String
    var model: String
    var at: Int
    var input: Int
    var output: Int
    var cost: Int
    var extra: [(String, String)] = []

    var arguments: [String] {
        var fields = ["n", String(n), "e", "evt-\(n)", "u", user, "g", "", "m", model, "p", "openai", "s", "client",
                      "at", String(at), "rt", String(at), "lat", "", "err", "0", "in", String(input), "out", String(output),
                      "cost", String(cost)]
        for (name, value) in extra { fields += [name, value] }
        return fields
    }
}

/// XADDs the events (and registers their tenants), as the record script would.
func append(_ events: [SyntheticEvent], to client: RedisClient) async throws {
    for tenant in Set(events.map(\.tenant)) { try await client.send("SADD", QuotaKeys.tenantRegistry, tenant) }
    for event in events {
        var command = RedisCommand("XADD", QuotaKeys(tenant: event.tenant).events, "*")
        for argument in event.arguments { command.append(argument) }
        _ = try await client.send(command)
    }
}

/// Polls `condition` until it holds: at most `attempts` times and `seconds`, pausing briefly between polls.
func eventually(_ what: String, attempts: Int = 2000, seconds: Double = 60, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    for _ in 0..<attempts {
        if try await condition() { return }
        if ContinuousClock.now >= deadline { break }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw InfluxDBServerError("timed out waiting until \(what)")
}

/// The export group's backlog summed over the tenants.
func backlog(_ client: RedisClient, tenants: [String]) async throws -> Int {
    let streams = ExportStreams(client: client, consumer: "observer")
    var total = 0
    for tenant in tenants { total += try await streams.backlog(tenant: tenant) }
    return total
}
