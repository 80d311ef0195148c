/// Rolling-window limits of one level; `nil` means none.
///
/// Windows slide: a request is admitted only when the tokens and requests of the last minute (hour, day),
/// counted in buckets of 1 s (1 min, 15 min) with the current bucket and one more included, leave room for
/// it. No span of the window's length ever holds more than the limit; the window frees up bucket by bucket,
/// not all at once at a boundary.
public struct RateLimits: Sendable, Hashable {
    /// Input plus output tokens per rolling minute.
    public var tokensPerMinute: Int?
    /// Requests per rolling minute.
    public var requestsPerMinute: Int?
    /// Tokens per rolling hour.
    public var tokensPerHour: Int?
    /// Requests per rolling hour.
    public var requestsPerHour: Int?
    /// Tokens per rolling day.
    public var tokensPerDay: Int?
    /// Requests per rolling day.
    public var requestsPerDay: Int?

    /// Creates window limits.
    public init(
        tokensPerMinute: Int? = nil, requestsPerMinute: Int? = nil, tokensPerHour: Int? = nil, requestsPerHour: Int? = nil,
        tokensPerDay: Int? = nil, requestsPerDay: Int? = nil
    ) {
        self.tokensPerMinute = tokensPerMinute
        self.requestsPerMinute = requestsPerMinute
        self.tokensPerHour = tokensPerHour
        self.requestsPerHour = requestsPerHour
        self.tokensPerDay = tokensPerDay
        self.requestsPerDay = requestsPerDay
    }

    /// No window limits.
    public static let none = RateLimits()

    /// Each limit with its kind, in a fixed order (minute, hour, day; tokens before requests).
    public var all: [(kind: LimitKind, value: Int?)] {
        [
            (.tokensPerMinute, tokensPerMinute), (.requestsPerMinute, requestsPerMinute), (.tokensPerHour, tokensPerHour),
            (.requestsPerHour, requestsPerHour), (.tokensPerDay, tokensPerDay), (.requestsPerDay, requestsPerDay),
        ]
    }

    /// The limit of one window kind (nil for cycle kinds).
    public subscript(kind: LimitKind) -> Int? {
        all.first { $0.kind == kind }?.value ?? nil
    }

    /// Whether any window limit is set.
    public var isLimited: Bool { all.contains { $0.value != nil } }
}
