public import AsyncHTTPClient
import NIOCore

extension GatewaySettings {
    /// The upstream timeout as NIO's time amount (the call's deadline, and the idle read timeout).
    var upstreamTimeAmount: TimeAmount {
        let (seconds, attoseconds) = upstreamTimeout.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// A client for the providers: no redirects followed (upstream hosts are the configured ones only), bodies
    /// passed on as they come (no decompression), a connect timeout of 10 s, the upstream timeout between
    /// reads, and enough connections per host for many concurrent streams. The caller shuts it down.
    public func makeHTTPClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        configuration.timeout = .init(connect: .seconds(10), read: upstreamTimeAmount)
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 512)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }
}
