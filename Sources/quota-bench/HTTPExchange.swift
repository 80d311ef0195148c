import NIOCore
import NIOHTTP1

/// A request written to an ``HTTPExchangeHandler``: its head, its body, and the promise its response completes.
struct HTTPExchange: Sendable {
    /// Method, URI and headers (`Content-Length` included).
    var head: HTTPRequestHead
    /// The body; empty for none.
    var body: ByteBuffer
    /// Completed with the response, or failed if the connection is lost first.
    var response: EventLoopPromise<HTTPBenchResponse>
}
