import Foundation
import Hummingbird
import HTTPTypes
import NIOCore
import Synchronization

/// A webhook endpoint on a free loopback port: records every request and answers as told.
final class WebhookReceiver: Sendable {
    /// How the receiver answers one request.
    enum Answer: Sendable {
        case status(Int)
        /// Answers only after `delay` (a receiver slower than the delivery timeout).
        case slow(Duration, status: Int)
    }

    /// One request as received.
    struct Received: Sendable {
        var path: String
        var id: String
        var timestamp: String
        var signature: String
        var contentType: String
        /// The `Host` header.
        var host: String = ""
        var body: [UInt8]
    }

    private let requests = Mutex<[Received]>([])
    private let answer: @Sendable (_ index: Int, _ received: Received) -> Answer

    init(answer: @escaping @Sendable (_ index: Int, _ received: Received) -> Answer) {
        self.answer = answer
    }

    /// Everything received so far.
    var received: [Received] { requests.withLock { $0 } }

    func record(_ received: Received) -> Answer {
        let index = requests.withLock { requests in
            requests.append(received)
            return requests.count - 1
        }
        return answer(index, received)
    }
}

/// Runs `body` with a receiver listening on `http://127.0.0.1:<port>/hook/<name>`, stopped afterwards.
func withReceiver<T: Sendable>(
    answer: @escaping @Sendable (_ index: Int, _ received: WebhookReceiver.Received) -> WebhookReceiver.Answer = { _, _ in .status(200) },
    _ body: @Sendable (WebhookReceiver, _ port: Int) async throws -> T
) async throws -> T {
    let receiver = WebhookReceiver(answer: answer)
    let router = Router()
    router.post("/hook/{name}") { request, _ -> Response in
        var request = request
        let bytes = try await request.collectBody(upTo: 1 << 20)
        let received = WebhookReceiver.Received(
            path: request.uri.path, id: request.headers[HTTPField.Name("webhook-id")!] ?? "",
            timestamp: request.headers[HTTPField.Name("webhook-timestamp")!] ?? "",
            signature: request.headers[HTTPField.Name("webhook-signature")!] ?? "",
            contentType: request.headers[.contentType] ?? "", host: request.head.authority ?? request.headers[HTTPField.Name("Host")!] ?? "",
            body: Array(bytes.readableBytesView)
        )
        switch receiver.record(received) {
        case .status(let code):
            return Response(status: HTTPResponse.Status(code: code))
        case .slow(let delay, let code):
            try? await Task.sleep(for: delay)
            return Response(status: HTTPResponse.Status(code: code))
        }
    }
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let app = Application(
        router: router, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
        onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) }
    )
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await app.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            group.cancelAll()
            throw ReceiverError.notListening
        }
        do {
            let result = try await body(receiver, port)
            group.cancelAll()
            return result
        } catch {
            group.cancelAll()
            throw error
        }
    }
}

/// The receiver did not start.
enum ReceiverError: Error {
    case notListening
}
