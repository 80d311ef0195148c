public import Hummingbird
import Logging
import NIOCore
import TokenAccounting
import TokenQuota

/// Turns every error into the JSON error format with a deliberate status.
///
/// - ``APIError`` passes through (5xx are logged);
/// - the router's "no route" becomes `404 not_found`, or `405 method_not_allowed` with `Allow` when the
///   path exists for other methods;
/// - Hummingbird's `HTTPError` and other `HTTPResponseError`s keep their status (`413` for oversized bodies);
/// - domain errors (`QuotaError`, `UsageParseError`, `CycleError`) and `DecodingError` are mapped;
/// - anything else is logged and answered `500 internal_error` without details.
public struct ErrorMiddleware: RouterMiddleware {
    public typealias Context = QuotaRequestContext
    let routes: RouteTable

    /// Creates the middleware over the router's route table.
    public init(routes: RouteTable) { self.routes = routes }

    public func handle(
        _ request: Request, context: QuotaRequestContext, next: (Request, QuotaRequestContext) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let apiError = map(error, request: request, context: context)
            if apiError.status == .serviceUnavailable {
                context.logger.warning(
                    "request failed: Redis unavailable",
                    metadata: ["error.code": "\(apiError.code)", "http.path": "\(request.uri.path)"]
                )
            } else if apiError.status.code >= 500 {
                context.logger.error(
                    "request failed",
                    metadata: ["error.code": "\(apiError.code)", "error.message": "\(apiError.message)", "http.path": "\(request.uri.path)"]
                )
            }
            throw apiError
        }
    }

    func map(_ error: any Error, request: Request, context: QuotaRequestContext) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as HTTPError:
            if error.status == .notFound && context.endpointPath == "NotFound" {
                return notFound(request)
            }
            return APIError(error.status, code: Self.code(for: error.status), error.body ?? error.status.reasonPhrase, headers: error.headers)
        case is NIOTooManyBytesError:
            return .payloadTooLarge("request body too large")
        case let error as QuotaError:
            return APIError(error)
        case let error as UsageParseError:
            return APIError(error)
        case let error as CycleError:
            return APIError(error)
        case let error as DecodingError:
            return .badRequest(RequestBodyReader.describe(error))
        case let error as any HTTPResponseError:
            return APIError(error.status, code: Self.code(for: error.status), error.status.reasonPhrase)
        default:
            context.logger.error("unexpected error", metadata: ["error.type": "\(String(reflecting: type(of: error)))"])
            return .internalError()
        }
    }

    func notFound(_ request: Request) -> APIError {
        let methods = routes.methods(matching: request.uri.path)
        let path = String(request.uri.path.prefix(200))
        guard !methods.isEmpty else {
            return .notFound("no route for \(request.method.rawValue) \(path)")
        }
        let allowed = Set(methods.map(\.rawValue)).sorted().joined(separator: ", ")
        var headers = HTTPFields()
        headers[.allow] = allowed
        return APIError(
            .methodNotAllowed, code: "method_not_allowed", "\(request.method.rawValue) is not allowed on \(path) (allowed: \(allowed))",
            headers: headers
        )
    }

    static func code(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: return "invalid_request"
        case 401: return "unauthorized"
        case 403: return "forbidden"
        case 404: return "not_found"
        case 405: return "method_not_allowed"
        case 408: return "request_timeout"
        case 413: return "payload_too_large"
        case 415: return "unsupported_media_type"
        case 422: return "unprocessable"
        case 429: return "too_many_requests"
        case 503: return "unavailable"
        case 500..<600: return "internal_error"
        default: return "http_\(status.code)"
        }
    }
}
