import QuotaStores
import QuotaHTTP
import HTTPTypes
import Hummingbird
import Logging
import TokenAccounting
import TokenQuota

/// Wraps every dashboard route: renders errors as HTML pages (not the API's JSON), redirects requests
/// without a session to the sign-in page, and sets the security headers on every response:
/// a Content-Security-Policy allowing only quotad's own script and stylesheet (no inline script, no
/// framing), `X-Frame-Options: DENY`, `Referrer-Policy: no-referrer`, `X-Content-Type-Options: nosniff`,
/// and `Cache-Control: no-store` unless the handler chose otherwise (static assets).
struct DashboardMiddleware: RouterMiddleware {
    typealias Context = QuotaRequestContext

    static let contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!

    func handle(
        _ request: Request, context: QuotaRequestContext, next: (Request, QuotaRequestContext) async throws -> Response
    ) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = errorResponse(error, request: request, context: context)
        }
        response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        response.headers[Self.xFrameOptions] = "DENY"
        response.headers[Self.referrerPolicy] = "no-referrer"
        response.headers[.xContentTypeOptions] = "nosniff"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }

    func errorResponse(_ error: any Error, request: Request, context: QuotaRequestContext) -> Response {
        let failure: DashboardError
        switch error {
        case let error as DashboardError:
            failure = error
        case let error as APIError:
            failure = DashboardError(error.status, error.message)
        case let error as QuotaError:
            let mapped = APIError(error)
            failure = DashboardError(mapped.status, mapped.message)
        case let error as CycleError:
            failure = DashboardError(.badRequest, error.message)
        case let error as HTTPError:
            failure = DashboardError(error.status, error.body ?? error.status.reasonPhrase)
        default:
            context.logger.error("dashboard request failed", metadata: ["error.type": "\(String(reflecting: type(of: error)))"])
            failure = DashboardError(.internalServerError, "something went wrong; see quotad's log")
        }
        if failure.status == .seeOther { return DashboardResponse.redirect("/dashboard/login") }
        if failure.status.code >= 500 {
            context.logger.error("dashboard request failed", metadata: ["error.message": "\(failure.message)", "http.path": "\(request.uri.path)"])
        }
        let page = ErrorPage(
            layout: DashboardLayout(title: failure.status.reasonPhrase), status: failure.status.code,
            reason: failure.status.reasonPhrase, message: failure.message
        )
        guard let html = try? DashboardTemplates.render(page, "error") else {
            return Response(status: failure.status, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: .init(string: failure.message)))
        }
        return DashboardResponse.html(html, status: failure.status)
    }
}

/// The values of the error page.
struct ErrorPage: Sendable {
    var layout: DashboardLayout
    var status: Int
    var reason: String
    var message: String
}
