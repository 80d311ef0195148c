public import Logging

/// Runs several handlers concurrently. One handler's error or timeout is logged and reaches neither the
/// caller nor the other handlers. The timeout holds even for a handler that ignores cancellation: the
/// composite returns at the timeout and leaves such a handler to finish in the background.
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
        let logger = self.logger
        await withTaskGroup(of: Void.self) { group in
            for (index, handler) in handlers.enumerated() {
                let metadata: Logger.Metadata = [
                    "callback.index": "\(index)", "callback.type": "\(type(of: handler))",
                    "callback.event": "\(event)", "llm.call": "\(callID)",
                ]
                group.addTask {
                    do {
                        // Returns at the timeout even if the handler ignores cancellation: it then
                        // finishes in the background, and its late end is logged.
                        try await BoundedCall.run(timeout: timeout, onLateFinish: { error in
                            var late = metadata
                            if let error { late["callback.error"] = "\(error)" }
                            logger.info("callback handler finished after its timeout", metadata: late)
                        }) {
                            try await body(handler)
                        }
                    } catch {
                        var failed = metadata
                        failed["callback.error"] = "\(error)"
                        logger.warning("callback handler failed", metadata: failed)
                    }
                }
            }
        }
    }
}
