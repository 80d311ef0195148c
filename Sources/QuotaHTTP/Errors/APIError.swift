public import Hummingbird
import Foundation

/// An error answered to the client as `{"error":{"code":"...","message":"..."}}` with a fitting status.
///
/// Every error a handler throws ends up as one of these: domain errors are mapped deliberately
/// (see ``APIError/init(_:)-QuotaError``), anything unexpected becomes a logged `500 internal_error`.
public struct APIError: Error, HTTPResponseError, Sendable, CustomStringConvertible {
    /// The HTTP status.
    public var status: HTTPResponse.Status
    /// A stable snake_case code for programs (`invalid_request`, `quota_exceeded`, ...).
    public var code: String
    /// A message for humans; never contains secrets.
    public var message: String
    /// Extra response headers (`Retry-After`, `Allow`, ...).
    public var headers: HTTPFields
    /// Extra members of the `error` object (already JSON-encodable values).
    public var details: [String: JSONFragment]
    /// Extra top-level members of the body (e.g. `limit` of a quota rejection).
    public var topLevel: [String: JSONFragment]

    /// Creates an error.
    public init(
        _ status: HTTPResponse.Status, code: String, _ message: String, headers: HTTPFields = [:],
        details: [String: JSONFragment] = [:], topLevel: [String: JSONFragment] = [:]
    ) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
        self.details = details
        self.topLevel = topLevel
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    /// Renders the error as a JSON response.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        makeResponse()
    }

    /// Renders the error as a JSON response (without a request at hand).
    public func makeResponse() -> Response {
        var response = JSONResponse.make(status: status, fragment: bodyFragment)
        response.headers.append(contentsOf: headers)
        return response
    }

    /// The JSON body bytes: `{"error":{"code","message",…details},…topLevel}`.
    public func makeResponseBytes() -> [UInt8] {
        Array(bodyFragment.serialized)
    }

    private var bodyFragment: JSONFragment {
        var error: [String: JSONFragment] = ["code": .string(code), "message": .string(message)]
        for (key, value) in details { error[key] = value }
        var body: [String: JSONFragment] = ["error": .object(error)]
        for (key, value) in topLevel { body[key] = value }
        return .object(body)
    }
}

extension APIError {
    /// `400 invalid_request`: the body or a parameter is wrong.
    public static func badRequest(_ message: String) -> APIError {
        APIError(.badRequest, code: "invalid_request", message)
    }

    /// `401 unauthorized` with a `WWW-Authenticate: Bearer` challenge.
    public static func unauthorized(_ message: String) -> APIError {
        var headers = HTTPFields()
        headers[.wwwAuthenticate] = "Bearer realm=\"quotad\""
        return APIError(.unauthorized, code: "unauthorized", message, headers: headers)
    }

    /// `403 forbidden`.
    public static func forbidden(_ message: String) -> APIError {
        APIError(.forbidden, code: "forbidden", message)
    }

    /// `404 not_found`.
    public static func notFound(_ message: String) -> APIError {
        APIError(.notFound, code: "not_found", message)
    }

    /// `413 payload_too_large`.
    public static func payloadTooLarge(_ message: String) -> APIError {
        APIError(.contentTooLarge, code: "payload_too_large", message)
    }

    /// `503 redis_unavailable` with `Retry-After: 1`.
    public static func redisUnavailable(_ message: String) -> APIError {
        APIError(.serviceUnavailable, code: "redis_unavailable", message, headers: retryAfterOne)
    }

    /// `503 outcome_unknown` with `Retry-After: 1`: the write may or may not have happened.
    public static func outcomeUnknown(_ message: String) -> APIError {
        APIError(.serviceUnavailable, code: "outcome_unknown", message, headers: retryAfterOne)
    }

    /// `500 internal_error` with a generic message (details are logged, not returned).
    public static func internalError(_ message: String = "internal error") -> APIError {
        APIError(.internalServerError, code: "internal_error", message)
    }

    static var retryAfterOne: HTTPFields {
        var headers = HTTPFields()
        headers[.retryAfter] = "1"
        return headers
    }
}
