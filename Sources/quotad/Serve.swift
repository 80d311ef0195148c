import ArgumentParser
import Foundation
import Logging
import NIOCore
import QuotaHTTP
import QuotadServer

/// `quotad serve`: loads the configuration and runs the HTTP service until SIGTERM/SIGINT.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the HTTP service.",
        discussion: """
            Configuration: defaults, then the YAML file (--config, else QUOTAD_CONFIG, else config/quotad.yaml \
            when present), then QUOTAD_* environment variables. Without a Redis URL, quotad runs and supervises \
            its own redis-server (data in QUOTAD_DATA_DIR, default ./data).
            """
    )

    @Option(name: .long, help: "The configuration file (default: $QUOTAD_CONFIG or config/quotad.yaml).")
    var config: String?

    func run() async throws {
        let configuration: QuotadConfiguration
        do {
            configuration = try QuotadConfiguration.load(path: config, environment: ProcessInfo.processInfo.environment)
        } catch {
            FileHandle.standardError.write(Data("quotad: configuration error: \(error.message)\n".utf8))
            throw ExitCode(78)  // EX_CONFIG
        }
        // Before anything starts the loops (Hummingbird and the Redis client both use NIO's singleton group).
        let eventLoops = configuration.effectiveEventLoops(cores: System.coreCount)
        NIOSingletons.groupLoopCountSuggestion = eventLoops
        let level = configuration.logLevel
        LoggingSystem.bootstrap { label in
            var handler = DeferredMetadataLogHandler(StreamLogHandler.standardError(label: label))
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "quotad")
        logger.logLevel = level
        for warning in QuotadConfiguration.environmentWarnings(ProcessInfo.processInfo.environment) + configuration.retiredSettingWarnings {
            logger.warning("\(warning)")
        }
        logger.info("starting quotad \(QuotadVersion.string)", metadata: ["config": "\(configuration.redactedSummary)", "event_loops": "\(eventLoops)"])
        let app: QuotaApplication
        do {
            app = try await buildApplication(configuration: configuration, logger: logger)
        } catch let error as ConfigurationError {
            logger.critical("cannot start: \(error.message)")
            throw ExitCode(78)
        }
        do {
            try await app.runUntilTerminated(host: configuration.httpHost, port: configuration.httpPort)
        } catch let error as ListenError {
            // One line, no stack: the services have already stopped (the embedded Redis with them).
            FileHandle.standardError.write(Data("quotad: \(error)\n".utf8))
            throw ExitCode(69)  // EX_UNAVAILABLE
        }
        logger.info("quotad stopped")
    }
}
