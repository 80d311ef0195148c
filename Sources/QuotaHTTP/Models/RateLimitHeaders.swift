import HTTPTypes
import TokenQuota

/// IETF `RateLimit-Policy` and `RateLimit` headers (draft-ietf-httpapi-ratelimit-headers, structured-field
/// form) for the rolling window with the least room left:
/// `RateLimit-Policy: "user-tokens_per_minute";q=10000;w=60` and
/// `RateLimit: "user-tokens_per_minute";r=2500;t=60`. `t` is an upper bound: the window slides, so all of
/// what it holds now has left it within its length.
enum RateLimitHeaders {
    static let policy = HTTPField.Name("RateLimit-Policy")!
    static let limit = HTTPField.Name("RateLimit")!

    static func apply(_ status: RateLimitStatus?, to headers: inout HTTPFields) {
        guard let status else { return }
        let name = "\"\(status.level.rawValue)-\(status.limit.rawValue)\""
        headers[policy] = "\(name);q=\(status.quota);w=\(status.windowSeconds)"
        headers[limit] = "\(name);r=\(status.remaining);t=\(status.windowSeconds)"
    }
}
