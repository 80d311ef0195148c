import TokenQuota
public import Logging
public import ServiceLifecycle

/// A background service refreshing ``MetricsSettingsStore`` from Redis every `interval` until shutdown.
///
/// Failures keep the last known settings and are logged once per outage (warning), then again on recovery.
public struct SettingsPoller: Service {
    let store: MetricsSettingsStore
    let interval: Duration
    let logger: Logger

    /// Creates a poller; `interval` is clamped to 50 ms … 500 ms so every instance converges within 1 s.
    public init(store: MetricsSettingsStore, interval: Duration, logger: Logger) {
        self.store = store
        self.interval = min(max(interval, .milliseconds(50)), .milliseconds(500))
        self.logger = logger
    }

    /// Polls until graceful shutdown or cancellation.
    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            var failing = false
            while !Task.isCancelled {
                do {
                    try await store.refresh()
                    if failing {
                        logger.info("settings refresh recovered")
                        failing = false
                    }
                } catch {
                    if !failing {
                        logger.warning("cannot refresh settings from Redis; keeping the last known", metadata: ["error.code": "\((error as? QuotaError)?.code.description ?? "unknown")"])
                        failing = true
                    }
                }
                try await Task.sleep(for: interval)
            }
        }
    }
}
