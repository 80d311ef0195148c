import Foundation

/// Runs blocking work (process start/stop, waiting for a child) on its own thread, never on Swift's
/// cooperative pool.
enum DedicatedThread {
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                do {
                    continuation.resume(returning: try body())
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.name = "quotad-blocking"
            thread.start()
        }
    }
}
