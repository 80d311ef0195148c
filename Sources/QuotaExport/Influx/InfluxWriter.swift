public import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Posts line-protocol batches to InfluxDB and classifies the answer (see ``InfluxWriteResult``).
public struct InfluxWriter: Sendable {
    /// Where to write.
    public let target: InfluxTarget
    /// The longest a write may take, connection included.
    public let timeout: Duration
    private let client: HTTPClient
    private let url: String

    /// Creates a writer.
    ///
    /// - Parameters:
    ///   - target: the InfluxDB endpoint.
    ///   - timeout: the longest one write may take.
    ///   - client: the HTTP client (the shared one by default).
    public init(target: InfluxTarget, timeout: Duration = .seconds(10), client: HTTPClient = .shared) {
        self.target = target
        self.timeout = timeout
        self.client = client
        self.url = target.writeURL
    }

    /// The longest part of an error body kept in a result.
    static let maximumMessageBytes = 64 * 1024

    /// Writes one batch of lines.
    public func write(_ body: [UInt8]) async -> InfluxWriteResult {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        if let authorization = target.authorization { request.headers.add(name: "Authorization", value: authorization) }
        request.body = .bytes(body)
        do {
            let milliseconds = timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
            let response = try await client.execute(request, timeout: .milliseconds(milliseconds))
            let status = Int(response.status.code)
            let data = try await response.body.collect(upTo: Self.maximumMessageBytes)
            let message = String(buffer: data)
            return Self.classify(status: status, message: message)
        } catch {
            return .failed(reason: "\(error)")
        }
    }

    /// The result for an HTTP answer.
    static func classify(status: Int, message: String) -> InfluxWriteResult {
        switch status {
        case 200..<300:
            return .written
        case 400, 422:
            return .rejected(status: status, rejected: rejectedCount(message), message: message)
        default:
            return .failed(reason: "HTTP \(status): \(message.prefix(512))")
        }
    }

    /// How many points an error says were dropped: `dropped=N` (InfluxDB 1.x) plus each `unable to parse`
    /// (1.x reports parse failures with `dropped=0`), at least 1.
    static func rejectedCount(_ message: String) -> Int {
        var count = 0
        if let range = message.range(of: "dropped=") {
            count = Int(message[range.upperBound...].prefix { $0.isNumber }) ?? 0
        }
        count += message.components(separatedBy: "unable to parse").count - 1
        return max(count, 1)
    }
}
