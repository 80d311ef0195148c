public import Hummingbird
import Foundation
import NIOCore

/// Reads and decodes request bodies with a size limit, turning every failure into a deliberate 4xx.
public enum RequestBodyReader {
    /// Collects the body: `413 payload_too_large` above `limit` bytes (checked against `Content-Length`
    /// first, then while reading).
    public static func collect(_ request: Request, limit: Int) async throws(APIError) -> ByteBuffer {
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw APIError.payloadTooLarge("request body of \(declared) bytes exceeds the limit of \(limit) bytes")
        }
        var request = request
        do {
            return try await request.collectBody(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw APIError.payloadTooLarge("request body exceeds the limit of \(limit) bytes")
        } catch {
            throw APIError.badRequest("cannot read the request body")
        }
    }

    /// Collects and decodes a JSON body as `T`.
    public static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int) async throws(APIError) -> T {
        let buffer = try await collect(request, limit: limit)
        return try decode(type, from: buffer)
    }

    /// Collects and decodes a JSON body as `T`, first rejecting duplicate keys and keys outside
    /// `T.keySchema` with `400 invalid_request` naming the field.
    public static func decode<T: StrictJSONBody>(_ type: T.Type, from request: Request, limit: Int) async throws(APIError) -> T {
        let buffer = try await collect(request, limit: limit)
        return try decode(type, from: buffer)
    }

    /// Decodes JSON bytes as `T` after checking its keys (see ``JSONKeyScanner``).
    public static func decode<T: StrictJSONBody>(_ type: T.Type, from buffer: ByteBuffer) throws(APIError) -> T {
        if let violation = JSONKeyScanner.violations(in: Array(buffer.readableBytesView), schema: T.keySchema).first {
            throw APIError.badRequest(violation.message)
        }
        return try decodeUnchecked(type, from: buffer)
    }

    /// Decodes a usage body: in one pass when ``UsageRequestFastDecoder`` understands it (the common shape),
    /// else by the strict path (key check, then `JSONDecoder`) with its exact errors.
    public static func decodeUsage(from buffer: ByteBuffer) throws(APIError) -> UsageRequest {
        if let body = buffer.withUnsafeReadableBytes({ UsageRequestFastDecoder.decode($0) }) { return body }
        do {
            return try decode(UsageRequest.self, from: buffer)
        } catch {
            // A provider's own usage object sent as `usage` is read as that provider's response.
            guard let rewritten = ProviderUsageObject.asResponse(buffer, schema: UsageRequest.keySchema) else { throw error }
            return try decode(UsageRequest.self, from: rewritten)
        }
    }

    /// Decodes a reservation body: in one pass when ``ReservationBodyFastDecoder`` understands it (the common
    /// shape), else by the strict path with its exact errors.
    static func decodeReservation(from buffer: ByteBuffer) throws(APIError) -> ReservationBody {
        if let body = buffer.withUnsafeReadableBytes({ ReservationBodyFastDecoder.decode($0) }) { return body }
        return try decode(ReservationBody.self, from: buffer)
    }

    /// Decodes JSON bytes as `T`; malformed JSON, wrong types and missing fields become `400 invalid_request`.
    public static func decode<T: Decodable>(_ type: T.Type, from buffer: ByteBuffer) throws(APIError) -> T {
        try decodeUnchecked(type, from: buffer)
    }

    static func decodeUnchecked<T: Decodable>(_ type: T.Type, from buffer: ByteBuffer) throws(APIError) -> T {
        guard buffer.readableBytes > 0 else { throw APIError.badRequest("the request body is empty: a JSON object is expected") }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as APIError {
            throw error
        } catch let error as DecodingError {
            throw APIError.badRequest(describe(error))
        } catch {
            throw APIError.badRequest("malformed JSON body")
        }
    }

    /// A message for a decoding error, naming the JSON path.
    public static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            let parts = codingPath.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }
            let joined = parts.joined()
            return joined.isEmpty ? "the body" : String(joined.drop(while: { $0 == "." }))
        }
        switch error {
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "malformed JSON body" }
            return "invalid value at \(path(context.codingPath)): \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            let parent = context.codingPath.isEmpty ? "" : " in \(path(context.codingPath))"
            return "missing field '\(key.stringValue)'\(parent)"
        case .typeMismatch(let type, let context):
            return "wrong type at \(path(context.codingPath)): expected \(typeName(type))"
        case .valueNotFound(let type, let context):
            return "null at \(path(context.codingPath)): expected \(typeName(type))"
        @unknown default:
            return "invalid JSON body"
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type: return "an integer"
        case is Bool.Type: return "a boolean"
        case is Double.Type: return "a number"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") { return "an array" }
            if name.hasPrefix("Dictionary") { return "an object" }
            return "an object"
        }
    }
}
