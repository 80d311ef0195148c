/// The rolling window with the least room left after a call, for the IETF `RateLimit-Policy` / `RateLimit`
/// headers (draft-ietf-httpapi-ratelimit-headers).
public struct RateLimitStatus: Sendable, Hashable {
    /// The level the window belongs to.
    public var level: QuotaLevel
    /// The window limit.
    public var limit: LimitKind
    /// The limit's value (the policy's quota).
    public var quota: Int
    /// The window's length in seconds.
    public var windowSeconds: Int
    /// What is left in the window now (never negative).
    public var remaining: Int

    /// Creates a status.
    public init(level: QuotaLevel, limit: LimitKind, quota: Int, windowSeconds: Int, remaining: Int) {
        self.level = level
        self.limit = limit
        self.quota = quota
        self.windowSeconds = windowSeconds
        self.remaining = max(0, remaining)
    }

    /// Parses the scripts' `level|limit|quota|window seconds|remaining`; nil for '' or anything else.
    init?(scriptValue: String) {
        let parts = scriptValue.split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count == 5, let level = QuotaLevel(rawValue: String(parts[0])), let limit = LimitKind(rawValue: String(parts[1])),
              let quota = Int(parts[2]), let window = Int(parts[3]), let remaining = Int(parts[4])
        else { return nil }
        self.init(level: level, limit: limit, quota: quota, windowSeconds: window, remaining: remaining)
    }
}
