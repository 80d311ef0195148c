import ArgumentParser
import AsyncRedis
import Foundation
import Logging
import QuotaHTTP
import QuotadServer
import EmbeddedRedis
import TokenQuota

/// `quotad migrate`: converts the Redis data of quotad schema v1 to the current schema, in place.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Convert Redis data of quotad key schema v1 to v\(SchemaVersion.current), in place.",
        discussion: """
            Run it with the configuration quotad serves with (--config, QUOTAD_CONFIG, QUOTAD_* variables), \
            while no quotad serves from that Redis. Without a Redis URL it starts the embedded redis-server on \
            the data directory (QUOTAD_DATA_DIR), which quotad must not be using. Running it again, or after an \
            interruption, is safe: it resumes and ends in the same state. Exit status: 0 done (or nothing to do), \
            65 the data is of a newer schema, 69 Redis unreachable, 75 failed part-way (run it again), \
            78 configuration error.
            """
    )

    @Option(name: .long, help: "The configuration file (default: $QUOTAD_CONFIG or config/quotad.yaml).")
    var config: String?

    @Flag(name: .long, help: "Only count what would be converted; write nothing.")
    var dryRun = false

    func run() async throws {
        let configuration: QuotadConfiguration
        do {
            configuration = try QuotadConfiguration.load(path: config, environment: ProcessInfo.processInfo.environment)
        } catch {
            fail("configuration error: \(error.message)", code: 78)  // EX_CONFIG
        }
        let level = configuration.logLevel
        LoggingSystem.bootstrap { label in
            var handler = DeferredMetadataLogHandler(StreamLogHandler.standardError(label: label))
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "quotad.migrate")
        logger.logLevel = level

        let redis: (client: RedisClient, embedded: EmbeddedRedis?)
        do {
            redis = try await connectRedis(configuration: configuration, logger: logger)
        } catch let error as ConfigurationError {
            fail(error.message, code: 78)
        } catch {
            fail("cannot start the embedded redis-server: \(error)", code: 69)
        }
        var place = "Redis"
        if configuration.redisURL == nil {
            place = "the embedded Redis (data directory \(configuration.dataDirectory))"
            printError("no Redis URL configured (QUOTAD_REDIS_URL): migrating \(place)")
        }
        let code = await migrate(redis.client, describedAs: place, timeout: .milliseconds(configuration.redisConnectTimeoutMilliseconds), logger: logger)
        await redis.client.shutdown()
        await redis.embedded?.stop()
        if code != 0 { throw ExitCode(code) }
    }

    /// Migrates and prints the one-line outcome: the exit status.
    private func migrate(_ client: RedisClient, describedAs place: String, timeout: Duration, logger: Logger) async -> Int32 {
        do {
            try await client.waitUntilConnected(timeout: timeout)
        } catch {
            printError("cannot connect to \(place) (\(client.configuration.endpoint)) within \(timeout)")
            return 69  // EX_UNAVAILABLE
        }
        do {
            let report = try await SchemaMigration.run(client: client, logger: logger, dryRun: dryRun)
            print("quotad migrate: \(report.summary)")
            return 0
        } catch where error.code == .newerSchema || error.code == .unreadableMarker {
            printError("refusing: \(error.message)")
            return 65  // EX_DATAERR
        } catch {
            printError(error.message)
            return 75  // EX_TEMPFAIL
        }
    }

    private func fail(_ message: String, code: Int32) -> Never {
        printError(message)
        Foundation.exit(code)
    }

    private func printError(_ message: String) {
        FileHandle.standardError.write(Data("quotad migrate: \(message)\n".utf8))
    }
}
