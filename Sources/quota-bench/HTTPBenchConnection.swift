import NIOCore
import NIOHTTP1
import NIOPosix

/// One keep-alive HTTP/1.1 connection to quotad on loopback, used by one worker at a time: each request is
/// sent when the previous one has been answered (closed loop per connection).
struct HTTPBenchConnection: Sendable {
    /// The connection's channel; its event loop runs the worker's callbacks.
    let channel: any Channel
    /// The `Host` and `Authorization` headers every request carries.
    let headers: HTTPHeaders

    /// The event loop the connection lives on.
    var eventLoop: any EventLoop { channel.eventLoop }

    /// Opens a connection to `host`:`port` (TCP_NODELAY) that authenticates with `bearer`.
    static func connect(group: any EventLoopGroup, host: String, port: Int, bearer: String) async throws -> HTTPBenchConnection {
        let channel = try await ClientBootstrap(group: group)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(HTTPExchangeHandler())
                }
            }
            .connect(host: host, port: port).get()
        let headers: HTTPHeaders = [
            "Host": "\(host):\(port)", "Authorization": "Bearer \(bearer)", "Content-Type": "application/json",
        ]
        return HTTPBenchConnection(channel: channel, headers: headers)
    }

    /// Sends one request and returns its response.
    func send(_ method: HTTPMethod, _ uri: String, body: String = "") -> EventLoopFuture<HTTPBenchResponse> {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: headers)
        head.headers.add(name: "Content-Length", value: String(body.utf8.count))
        let promise = channel.eventLoop.makePromise(of: HTTPBenchResponse.self)
        let exchange = HTTPExchange(head: head, body: ByteBuffer(string: body), response: promise)
        channel.writeAndFlush(exchange).whenFailure { promise.fail($0) }
        return promise.futureResult
    }

    /// Sends one request and fails unless it is answered with `expected`.
    func send(_ method: HTTPMethod, _ uri: String, body: String = "", expect expected: Int) -> EventLoopFuture<HTTPBenchResponse> {
        send(method, uri, body: body).flatMapThrowing { response in
            guard response.status == expected else { throw HTTPBenchError.unexpected(response, expected: expected, request: "\(method) \(uri)") }
            return response
        }
    }

    /// Closes the connection (pending requests fail).
    func close() {
        channel.close(promise: nil)
    }
}
