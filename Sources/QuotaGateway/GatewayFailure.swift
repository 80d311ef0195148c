import Foundation
import HTTPTypes
import Hummingbird
import QuotaHTTP

/// An error answered in the provider's own format, so the caller's SDK raises its usual exception
/// (`RateLimitError` for a 429, `AuthenticationError` for a 401, …): OpenAI
/// `{"error":{"message","type","param","code"}}`, Anthropic `{"type":"error","error":{"type","message"}}`.
/// quotad's own code (`quota_exceeded`, `invalid_request`, …) is OpenAI's `code`; headers (`Retry-After`,
/// `RateLimit`, `RateLimit-Policy`) are kept.
struct GatewayFailure: Error, Sendable {
    var status: HTTPResponse.Status
    var code: String
    var message: String
    var param: String?
    var headers: HTTPFields
    /// quotad's own details (the refusing limit of a 429), as the body's `quotad` member.
    var details: [String: JSONFragment] = [:]

    init(_ status: HTTPResponse.Status, code: String, _ message: String, param: String? = nil, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.param = param
        self.headers = headers
    }

    /// The same error as the quota API would answer it.
    init(_ error: APIError) {
        self.init(error.status, code: error.code, error.message, headers: error.headers)
        details = error.topLevel
        // The quota API's Bearer challenge names quotad's realm; the SDKs need no challenge.
        headers[.wwwAuthenticate] = nil
    }

    /// The error type both providers use for this status.
    var type: String {
        switch status.code {
        case 400, 409, 413, 415, 422: "invalid_request_error"
        case 401: "authentication_error"
        case 403: "permission_error"
        case 404: "not_found_error"
        case 429: "rate_limit_error"
        default: "api_error"
        }
    }

    func response(_ dialect: GatewayDialect) -> Response {
        var body: [String: Any] =
            switch dialect {
            case .openai:
                ["error": ["message": message, "type": type, "param": param as Any? ?? NSNull(), "code": code]]
            case .anthropic:
                ["type": "error", "error": ["type": type, "message": message]]
            }
        if !details.isEmpty {
            var quotad: [String: Any] = ["code": code]
            for (key, value) in details {
                quotad[key] = try? JSONSerialization.jsonObject(with: Data(value.serialized), options: [.fragmentsAllowed])
            }
            body["quotad"] = quotad
        }
        let bytes = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
