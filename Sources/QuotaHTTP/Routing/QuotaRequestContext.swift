public import Hummingbird
import Logging

/// The request context of quotad's router: Hummingbird's core storage plus the request id.
///
/// ``RequestIDMiddleware`` fills ``requestID`` and adds it to the logger's metadata (`request.id`).
public struct QuotaRequestContext: RequestContext {
    /// Hummingbird's per-request storage (logger, parameters, endpoint path).
    public var coreContext: CoreRequestContextStorage
    /// The request id echoed in `X-Request-Id` (empty until ``RequestIDMiddleware`` ran).
    public var requestID: String

    /// Creates a context for one request.
    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.requestID = ""
    }
}
