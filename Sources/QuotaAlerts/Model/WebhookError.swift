public import AsyncRedis
public import TokenQuota

/// A webhook request that cannot be honoured, with a message for the API client.
public struct WebhookError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of refusal this is.
    public enum Code: String, Sendable, Hashable {
        /// The body is wrong (URL, events, secret): a 400.
        case invalid
        /// The tenant already has the most webhooks allowed: a 400.
        case tooMany
        /// No such webhook or delivery: a 404.
        case notFound
        /// The delivery was already delivered: a 409.
        case alreadyDelivered
        /// Redis failed (see ``WebhookError/redis``).
        case storage
    }

    /// What kind of refusal this is.
    public var code: Code
    /// A human-readable explanation (no secrets).
    public var message: String
    /// The Redis failure behind a ``Code/storage`` error.
    public var redis: RedisError?

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
        self.redis = nil
    }

    /// Wraps a Redis failure.
    public init(_ error: RedisError) {
        self.code = .storage
        self.message = error.message
        self.redis = error
    }

    public var description: String { "WebhookError(\(code.rawValue)): \(message)" }
}

extension WebhookError {
    /// The domain's error for the Redis failure behind a ``Code/storage`` error (nil for other codes), so
    /// callers map it as they map every other Redis failure.
    public var storageError: QuotaError? {
        redis.map { QuotaError(redis: $0) }
    }
}
