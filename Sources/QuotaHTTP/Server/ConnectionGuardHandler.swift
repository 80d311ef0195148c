import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// A channel handler between the HTTP/1 codec and Hummingbird's request handling that keeps one slow or
/// broken client from holding a connection or getting an unexplained answer:
///
/// - **Read timeout**: a request must arrive whole (head and body) within `readTimeout` of its first byte;
///   otherwise the client gets `408 request_timeout` (JSON) and the connection is closed. A lying
///   `Content-Length` can therefore not hold a connection (and its file descriptor) forever.
/// - **Protocol errors** from the HTTP parser or the HTTP/1 → HTTP types conversion (a path that is not
///   valid UTF-8, a 100 KB header, conflicting `Content-Length` and `Transfer-Encoding`) get a JSON error
///   body with an `X-Request-Id` instead of an empty 400, then the connection is closed.
///
/// Idle keep-alive connections are closed by Hummingbird's own idle timeout
/// (`HTTP1Channel.Configuration.idleTimeout`).
final class ConnectionGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let readTimeout: TimeAmount
    private let logger: Logger
    private var readTimer: Scheduled<Void>?
    /// True between a response head and its end: no error response may be written then.
    private var responseInProgress = false
    /// True once the current request was answered (e.g. an early 413): a late timeout then only closes.
    private var answered = false
    private var closing = false

    /// Creates the handler.
    ///
    /// - Parameters:
    ///   - readTimeout: how long a request may take to arrive whole.
    ///   - logger: where rejected connections are logged (debug level, with `request.id`).
    init(readTimeout: TimeAmount, logger: Logger) {
        self.readTimeout = readTimeout
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            answered = false
            startReadTimer(context)
        case .body:
            break
        case .end:
            readTimer?.cancel()
            readTimer = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head: responseInProgress = true
        case .body: break
        case .end:
            responseInProgress = false
            answered = true
        }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard !closing else { return }
        if let parserError = error as? HTTPParserError {
            let (status, code, message) = Self.describe(parserError)
            reject(context, status: status, code: code, message: message, reason: "\(parserError)")
        } else if error is IOError || error is ChannelError {
            context.fireErrorCaught(error)
        } else {
            // HTTP/1 → HTTP types conversion failures (e.g. a request target that is not valid UTF-8).
            reject(context, status: .badRequest, code: "invalid_request", message: "malformed HTTP request", reason: "\(error)")
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        readTimer?.cancel()
        readTimer = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        readTimer?.cancel()
        readTimer = nil
    }

    private func startReadTimer(_ context: ChannelHandlerContext) {
        readTimer?.cancel()
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        readTimer = context.eventLoop.scheduleTask(in: readTimeout) {
            let (handler, context) = loopBound.value
            handler.readTimer = nil
            handler.reject(
                context, status: .requestTimeout, code: "request_timeout",
                message: "the request did not arrive whole within \(handler.readTimeout.nanoseconds / 1_000_000) ms",
                reason: "read timeout"
            )
        }
    }

    /// Answers with a JSON error when no response is under way, then closes the connection.
    private func reject(_ context: ChannelHandlerContext, status: HTTPResponse.Status, code: String, message: String, reason: String) {
        guard !closing else { return }
        closing = true
        readTimer?.cancel()
        readTimer = nil
        let requestID = RequestIDMiddleware.generate()
        logger.debug(
            "connection rejected", metadata: ["request.id": "\(requestID)", "http.status": "\(status.code)", "error.reason": "\(reason)"]
        )
        guard !responseInProgress, !answered, context.channel.isActive else {
            context.close(promise: nil)
            return
        }
        let body = APIError(status, code: code, message).makeResponseBytes()
        var fields = HTTPFields()
        fields[.contentType] = "application/json; charset=utf-8"
        fields[.contentLength] = String(body.count)
        fields[.connection] = "close"
        fields[RequestIDMiddleware.header] = requestID
        context.write(wrapOutboundOut(.head(HTTPResponse(status: status, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(bytes: body))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }

    /// Status, code and message for a parser error.
    static func describe(_ error: HTTPParserError) -> (HTTPResponse.Status, String, String) {
        switch error {
        case .headerOverflow:
            return (.init(code: 431), "request_header_fields_too_large", "the request headers are too large")
        case .unexpectedContentLength, .invalidContentLength:
            return (.badRequest, "invalid_request", "invalid or conflicting Content-Length / Transfer-Encoding")
        case .invalidChunkSize:
            return (.badRequest, "invalid_request", "invalid chunked body")
        case .invalidHeaderToken, .invalidCharactersUsed, .lfExpected:
            return (.badRequest, "invalid_request", "malformed request header")
        case .invalidURL, .invalidPath:
            return (.badRequest, "invalid_request", "invalid request target")
        case .invalidVersion, .invalidMethod, .unknown:
            return (.badRequest, "invalid_request", "malformed HTTP request line")
        default:
            return (.badRequest, "invalid_request", "malformed HTTP request")
        }
    }
}

@available(*, unavailable)
extension ConnectionGuardHandler: Sendable {}
