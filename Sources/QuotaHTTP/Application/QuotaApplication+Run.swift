public import Hummingbird

extension Application where Responder == RouterResponder<QuotaRequestContext> {
    /// Runs quotad until SIGTERM or SIGINT, then shuts down gracefully: in-flight requests complete,
    /// then the background services stop (the Redis client last).
    public func runUntilTerminated() async throws {
        try await runService()
    }
}
