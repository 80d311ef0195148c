import NIOCore

/// The last handler of a connection's channel: hands the bytes it reads and its closing to the connection.
final class RedisChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let connection: RedisConnection
    /// The error that will close the channel, reported with the close.
    private var failure: (any Error)?

    init(connection: RedisConnection) {
        self.connection = connection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        connection.received(unwrapInboundIn(data), on: context.channel)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if failure == nil { failure = error }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        connection.channelClosed(context.channel, error: failure)
        context.fireChannelInactive()
    }
}

// Used only on its channel's event loop, which is the connection's.
extension RedisChannelHandler: @unchecked Sendable {}
