import Hummingbird
public import HummingbirdCore
public import Logging
public import NIOCore

/// HTTP/1 connections whose whole request handling runs on the connection's own event loop.
///
/// Hummingbird runs each connection's task on Swift's global executor: a request is read on the event loop,
/// handled on a pool thread, and its response written by the event loop again, each change of thread a
/// wake-up. With this channel the connection's task prefers an executor made of the connection's event loop,
/// so reading, handling and writing happen on one thread (child tasks inherit the preference), and a Redis
/// connection on the same loop answers without a hand-off either. The server's accept spreads connections
/// over the loops (`http.event_loops` of them), so every loop serves requests.
struct EventLoopBoundHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let base: HTTP1Channel

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        base.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        let executor = EventLoopTaskExecutor(eventLoop: value.channel.eventLoop)
        await withTaskExecutorPreference(executor) {
            await base.handle(value: value, logger: logger)
        }
    }
}

/// A `TaskExecutor` that runs jobs on one NIO event loop.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 with each connection's requests handled on its event loop (``EventLoopBoundHTTP1Channel``).
    static func eventLoopBoundHTTP1(configuration: HTTP1Channel.Configuration) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            EventLoopBoundHTTP1Channel(base: HTTP1Channel(responder: responder, configuration: configuration))
        }
    }

    /// quotad's HTTP/1 server: connections bound to their event loop, each guarded by
    /// ``ConnectionGuardHandler`` (a request must arrive within `readTimeout`; oversized or malformed heads
    /// get a JSON 4xx), idle connections closed after `idleTimeout`.
    public static func quotad(readTimeout: TimeAmount, idleTimeout: TimeAmount, logger: Logger) -> HTTPServerBuilder {
        eventLoopBoundHTTP1(configuration: HTTP1Channel.Configuration(
            additionalChannelHandlers: [ConnectionGuardHandler(readTimeout: readTimeout, logger: logger)],
            idleTimeout: idleTimeout
        ))
    }
}

/// Runs `operation` on Swift's global concurrent executor instead of the connection's event loop.
///
/// For handlers whose own CPU work is large — decoding and recording a 1,000-event batch, rendering a report,
/// an event listing or a dashboard page — so they do not hold up every other connection of the loop
/// meanwhile; everything else stays on the loop, where a Redis round trip costs no thread hand-off.
func offEventLoop<T>(_ operation: () async throws -> T) async throws -> T {
    try await withTaskExecutorPreference(globalConcurrentExecutor) { try await operation() }
}

/// Runs the rest of the chain (the route's handler) off the event loop, see ``offEventLoop(_:)``.
struct OffEventLoopMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try await offEventLoop { try await next(request, context) }
    }
}
