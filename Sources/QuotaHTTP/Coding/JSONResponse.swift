public import Hummingbird
public import Foundation
import NIOCore

/// Builds JSON responses (`application/json; charset=utf-8`, snake_case bodies, ISO 8601 UTC dates).
public enum JSONResponse {
    /// Encodes `value` with quotad's JSON conventions.
    public static func make(status: HTTPResponse.Status = .ok, value: some Encodable) throws -> Response {
        let data = try encoder().encode(value)
        return make(status: status, bytes: data)
    }

    /// Serializes a ``JSONFragment``.
    public static func make(status: HTTPResponse.Status = .ok, fragment: JSONFragment) -> Response {
        make(status: status, bytes: fragment.serialized)
    }

    /// Wraps ready JSON bytes.
    public static func make(status: HTTPResponse.Status, bytes: some Sequence<UInt8>) -> Response {
        make(status: status, buffer: ByteBuffer(bytes: bytes))
    }

    /// Wraps a buffer of ready JSON.
    public static func make(status: HTTPResponse.Status, buffer: ByteBuffer) -> Response {
        var headers = HTTPFields()
        headers.reserveCapacity(6)
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.contentLength] = String(buffer.readableBytes)
        return Response(status: status, headers: headers, body: .init(byteBuffer: buffer))
    }

    /// A response without a body (204).
    public static func noContent() -> Response {
        Response(status: .noContent)
    }

    /// The encoder: ISO 8601 dates, no escaped slashes, sorted keys for stable output.
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return encoder
    }
}
