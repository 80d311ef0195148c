import AsyncHTTPClient
import Logging
import NIOCore
import QuotaGateway
import ServiceLifecycle

/// The gateway's HTTP client to the providers, shut down when quotad stops.
struct GatewayHTTPClient: Service {
    let client: HTTPClient
    let logger: Logger

    /// A client for the providers: no redirects followed (upstream hosts are the configured ones only), bodies
    /// passed on as they come (no decompression), a connect timeout of 10 s, the upstream timeout between
    /// reads, and enough connections per host for many concurrent streams.
    static func make(settings: GatewaySettings) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        let (seconds, attoseconds) = settings.upstreamTimeout.components
        configuration.timeout = .init(
            connect: .seconds(10), read: .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        )
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 512)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    func run() async throws {
        try? await gracefulShutdown()
        do { try await client.shutdown() } catch {
            logger.warning("the gateway's HTTP client did not shut down cleanly", metadata: ["error": "\(error)"])
        }
    }
}
