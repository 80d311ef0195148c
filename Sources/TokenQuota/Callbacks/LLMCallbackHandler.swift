/// Receives the lifecycle of LLM calls: start, end, error.
///
/// Wrap a call like this:
/// ```swift
/// try await handler.onLLMStart(start)          // may throw QuotaExceededError
/// do {
///     let body = try await callProvider()
///     try await handler.onLLMEnd(LLMCallEnd(start: start, output: .responseBody(body)))
/// } catch {
///     try await handler.onLLMError(LLMCallFailure(start: start, reason: "\(error)"))
///     throw error
/// }
/// ```
public protocol LLMCallbackHandler: Sendable {
    /// Called before the provider is called.
    func onLLMStart(_ call: LLMCallStart) async throws
    /// Called after a successful call.
    func onLLMEnd(_ call: LLMCallEnd) async throws
    /// Called after a failed call.
    func onLLMError(_ call: LLMCallFailure) async throws
}

extension LLMCallbackHandler {
    /// Default: nothing to do at start.
    public func onLLMStart(_ call: LLMCallStart) async throws {}
    /// Default: nothing to do on error.
    public func onLLMError(_ call: LLMCallFailure) async throws {}
}

/// Thrown by ``RedisUsageCallbackHandler/onLLMStart(_:)`` when the call would exceed the user's quota.
public struct QuotaExceededError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Which limit, with its used, reserved and limit values.
    public var rejection: QuotaRejection
    /// Creates the error.
    public init(rejection: QuotaRejection) { self.rejection = rejection }
    public var description: String {
        let retry = rejection.retryAfterSeconds.map { "retry in \($0) s" } ?? "the request alone exceeds the limit"
        return "quota exceeded: \(rejection.level.rawValue) \(rejection.limit.rawValue) limit \(rejection.limitValue), used \(rejection.used), reserved \(rejection.reserved), requested \(rejection.requested); \(retry)"
    }
}
