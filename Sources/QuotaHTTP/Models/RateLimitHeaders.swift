package import Foundation
package import HTTPTypes
package import TokenQuota

/// IETF `RateLimit-Policy` and `RateLimit` headers (draft-ietf-httpapi-ratelimit-headers, structured-field
/// form) for the limit with the least room left, a rolling window or a cycle limit:
/// `RateLimit-Policy: "user-tokens_per_minute";q=10000;w=60` and
/// `RateLimit: "user-tokens_per_minute";r=2500;t=60`. For a rolling window `t` is an upper bound (the window
/// slides, so all of what it holds now has left it within its length); for a cycle limit (`"user-tokens"`,
/// `"group-cost"` in nano-USD, …) `w` and `t` are the seconds until the cycle resets. On a `429` the policy
/// is the refusing limit's, `r` what is left of it and `t` the seconds until the request could fit.
package enum RateLimitHeaders {
    static let policy = HTTPField.Name("RateLimit-Policy")!
    static let limit = HTTPField.Name("RateLimit")!

    package static func apply(_ status: RateLimitStatus?, to headers: inout HTTPFields) {
        guard let status else { return }
        let name = "\"\(status.level.rawValue)-\(status.limit.rawValue)\""
        headers[policy] = "\(name);q=\(status.quota);w=\(status.windowSeconds)"
        headers[limit] = "\(name);r=\(status.remaining);t=\(status.windowSeconds)"
    }

    /// The headers of a `429`: the refusing limit, what is left of it, and when the request fits again (or the
    /// limit resets, for a request that can never fit).
    package static func apply(_ rejection: QuotaRejection, now: Date, to headers: inout HTTPFields) {
        let name = "\"\(rejection.level.rawValue)-\(rejection.limit.rawValue)\""
        let untilReset = max(1, Int(rejection.resetsAt.timeIntervalSince(now).rounded(.up)))
        let window = rejection.limit.windowSeconds ?? untilReset
        headers[policy] = "\(name);q=\(rejection.limitValue);w=\(window)"
        headers[limit] = "\(name);r=\(max(0, rejection.remaining));t=\(max(1, rejection.retryAfterSeconds ?? untilReset))"
    }
}
