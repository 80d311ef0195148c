import Synchronization

/// Runs an async body with a deadline that holds even when the body ignores cancellation.
///
/// The body runs in an unstructured task; the caller waits on a continuation that is resumed by whichever
/// comes first: the body finishing, the timeout, or the caller's own cancellation. On a timeout the body is
/// cancelled and left to finish in the background; `onLateFinish` is called when it does.
enum BoundedCall {
    /// Runs `body`, returning or throwing its outcome, or throwing ``CallbackTimeout`` after `timeout`.
    static func run(
        timeout: Duration,
        onLateFinish: @escaping @Sendable ((any Error)?) -> Void,
        _ body: @escaping @Sendable () async throws -> Void
    ) async throws {
        let race = Race()
        let work = Task {
            do {
                try await body()
                if !race.finish(.success(())) { onLateFinish(nil) }
            } catch {
                if !race.finish(.failure(error)) { onLateFinish(error) }
            }
        }
        let timer = Task {
            try? await Task.sleep(for: timeout)
            if !Task.isCancelled, race.finish(.failure(CallbackTimeout(timeout: timeout))) { work.cancel() }
        }
        defer { timer.cancel() }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                race.wait(continuation)
            }
        } onCancel: {
            if race.finish(.failure(CancellationError())) { work.cancel() }
        }
    }

    /// The first outcome wins; the continuation is resumed exactly once, whether the outcome arrives before
    /// or after the caller starts waiting.
    final class Race: Sendable {
        private enum State {
            case pending(CheckedContinuation<Void, any Error>?)
            case finished(Result<Void, any Error>, delivered: Bool)
        }
        private let state = Mutex<State>(.pending(nil))

        /// Records the outcome. Returns false when another outcome was first.
        func finish(_ result: Result<Void, any Error>) -> Bool {
            let waiting: CheckedContinuation<Void, any Error>?? = state.withLock { state in
                guard case .pending(let continuation) = state else { return nil }
                state = .finished(result, delivered: continuation != nil)
                return .some(continuation)
            }
            guard let waiting else { return false }
            waiting?.resume(with: result)
            return true
        }

        /// Registers the waiting caller; resumes it at once if the outcome is already known.
        func wait(_ continuation: CheckedContinuation<Void, any Error>) {
            let ready: Result<Void, any Error>? = state.withLock { state in
                switch state {
                case .pending:
                    state = .pending(continuation)
                    return nil
                case .finished(let result, _):
                    state = .finished(result, delivered: true)
                    return result
                }
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}
