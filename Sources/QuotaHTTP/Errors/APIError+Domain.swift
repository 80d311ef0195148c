import HTTPTypes
public import TokenAccounting
public import TokenQuota

extension APIError {
    /// Maps a quota-domain error to its status: invalid argument 400, unparsable usage 422, overflow 422,
    /// not found 404, conflict 409, unavailable 503 (`redis_unavailable`), outcome unknown 503
    /// (`outcome_unknown`), Redis out of memory 507 (`insufficient_storage`), the last three with
    /// `Retry-After`; internal error 500 (generic message: details are logged, never returned).
    public init(_ error: QuotaError) {
        switch error.code {
        case .invalidArgument: self = .badRequest(error.message)
        case .unparsableUsage:
            self = APIError(
                .unprocessableContent, code: "unparsable_usage", error.message,
                details: error.subject.map { ["reason": .string($0)] } ?? [:])
        case .tooLarge: self = .payloadTooLarge(error.message)
        case .overflow: self = APIError(.unprocessableContent, code: "overflow", error.message)
        case .unpricedModel:
            self = APIError(
                .unprocessableContent, code: "unpriced_model", error.message,
                details: error.subject.map { ["model": .string($0)] } ?? [:])
        case .notFound: self = .notFound(error.message)
        case .conflict: self = APIError(.conflict, code: "conflict", error.message)
        case .unavailable: self = .redisUnavailable(error.message)
        case .outcomeUnknown: self = .outcomeUnknown(error.message)
        case .storageFull: self = .insufficientStorage(error.message)
        case .tooManyReservations:
            var headers = HTTPFields()
            headers[.retryAfter] = "1"
            self = APIError(.tooManyRequests, code: "too_many_reservations", error.message, headers: headers)
        default: self = .internalError()
        }
    }

    /// `507 insufficient_storage` with `Retry-After`: Redis is out of memory and refused the write
    /// (nothing was recorded; retrying later with the same event id is safe).
    public static func insufficientStorage(_ message: String) -> APIError {
        var headers = HTTPFields()
        headers[.retryAfter] = "5"
        return APIError(.init(code: 507), code: "insufficient_storage", message, headers: headers)
    }

    /// Maps a usage-parser error: a too-large body is 413, everything else `422 unparsable_usage`
    /// with the parser's message (and its code as `reason`).
    public init(_ error: UsageParseError) {
        if error.code == .bodyTooLarge {
            self = .payloadTooLarge(error.message)
        } else {
            self = APIError(
                .unprocessableContent, code: "unparsable_usage", error.message,
                details: ["reason": .string(error.code.rawValue)]
            )
        }
    }

    /// Maps a billing-cycle error (bad anchor day, time zone or cycle id) to `400 invalid_request`.
    public init(_ error: CycleError) {
        self = .badRequest(error.message)
    }
}
