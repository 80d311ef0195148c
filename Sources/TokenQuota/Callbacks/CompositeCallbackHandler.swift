public import Logging

/// Runs several handlers concurrently. One handler's error or timeout is logged and reaches neither the
/// caller nor the other handlers.
///
/// Put an enforcing ``RedisUsageCallbackHandler`` outside a composite when its ``QuotaExceededError``
/// must stop the call; inside one, it only counts.
public struct CompositeCallbackHandler: LLMCallbackHandler {
    /// The handlers, each called for every event.
    public let handlers: [any LLMCallbackHandler]
    /// How long one handler may take per event.
    public let timeout: Duration
    let logger: Logger

    /// Creates a composite.
    public init(_ handlers: [any LLMCallbackHandler], timeout: Duration = .seconds(5), logger: Logger) {
        self.handlers = handlers
        self.timeout = timeout
        self.logger = logger
    }

    public func onLLMStart(_ call: LLMCallStart) async throws {
        await fanOut(event: "start", callID: call.callID) { try await $0.onLLMStart(call) }
    }

    public func onLLMEnd(_ call: LLMCallEnd) async throws {
        await fanOut(event: "end", callID: call.start.callID) { try await $0.onLLMEnd(call) }
    }

    public func onLLMError(_ call: LLMCallFailure) async throws {
        await fanOut(event: "error", callID: call.start.callID) { try await $0.onLLMError(call) }
    }

    private func fanOut(event: String, callID: String, _ body: @escaping @Sendable (any LLMCallbackHandler) async throws -> Void) async {
        let timeout = self.timeout
        await withTaskGroup(of: Void.self) { group in
            for (index, handler) in handlers.enumerated() {
                group.addTask {
                    do {
                        try await withThrowingTaskGroup(of: Bool.self) { inner in
                            inner.addTask {
                                try await body(handler)
                                return true
                            }
                            inner.addTask {
                                try await Task.sleep(for: timeout)
                                return false
                            }
                            defer { inner.cancelAll() }
                            if let finished = try await inner.next(), !finished {
                                throw CallbackTimeout(timeout: timeout)
                            }
                        }
                    } catch {
                        logger.warning("callback handler failed", metadata: [
                            "callback.index": "\(index)", "callback.type": "\(type(of: handler))",
                            "callback.event": "\(event)", "llm.call": "\(callID)", "callback.error": "\(error)",
                        ])
                    }
                }
            }
        }
    }
}

struct CallbackTimeout: Error, CustomStringConvertible {
    let timeout: Duration
    var description: String { "handler did not finish within \(timeout)" }
}
