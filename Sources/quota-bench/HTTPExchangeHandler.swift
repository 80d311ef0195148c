import NIOCore
import NIOHTTP1

/// Writes ``HTTPExchange``s as HTTP/1.1 requests and completes each one's promise with its response, in order
/// (a keep-alive connection answers in request order). A closed connection or an error fails what is pending.
final class HTTPExchangeHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPExchange
    typealias OutboundOut = HTTPClientRequestPart

    private var pending = CircularBuffer<EventLoopPromise<HTTPBenchResponse>>()
    private var status = 0
    private var body: ByteBuffer?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let exchange = unwrapOutboundIn(data)
        pending.append(exchange.response)
        context.write(wrapOutboundOut(.head(exchange.head)), promise: nil)
        if exchange.body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(exchange.body))), promise: nil)
        }
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            body = nil
        case .body(var part):
            if body == nil { body = part } else { body!.writeBuffer(&part) }
        case .end:
            guard let promise = pending.popFirst() else {
                context.fireErrorCaught(HTTPBenchError("a response arrived for no request"))
                return
            }
            promise.succeed(HTTPBenchResponse(status: status, body: body ?? ByteBuffer()))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failPending(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failPending(HTTPBenchError("the connection closed with \(pending.count) requests unanswered"))
        context.fireChannelInactive()
    }

    private func failPending(_ error: any Error) {
        while let promise = pending.popFirst() { promise.fail(error) }
    }
}
