public import AsyncRedis

extension QuotaError {
    /// Server states that mean "this server cannot take the command right now" (nothing ran): loading its
    /// dataset, a read-only replica, a busy script, a replica without its master, or a cluster in transition.
    static let unavailableStates: [RedisError.ServerState: String] = [
        .loading: "Redis is loading its dataset",
        .readOnly: "Redis is a read-only replica",
        .busy: "Redis is busy running a script",
        .masterDown: "Redis has lost its master",
        .tryAgain: "Redis cluster slots are moving",
        .clusterDown: "the Redis cluster is down",
    ]

    /// The domain's error for a failed Redis call, in words fit for API clients (no reply text, no script SHA).
    ///
    /// A write fewer replicas acknowledged than asked, or a command that may have run → ``Code/outcomeUnknown``;
    /// `OOM` or `MISCONF` (a failed disk write) → ``Code/storageFull``; `LOADING`, `READONLY`, `BUSY`,
    /// `MASTERDOWN`, `TRYAGAIN`, `CLUSTERDOWN`, connection and authentication failures → ``Code/unavailable``;
    /// anything else → ``Code/internalError``. Callers log the Redis detail themselves when they want it, and
    /// say when a retry is safe (the repository's writes carry an event id; a store's may not).
    public init(redis error: RedisError) {
        if error.code == .notReplicated {
            self.init(
                .outcomeUnknown,
                "Redis ran the write but not enough replicas acknowledged it in time"
            )
            return
        }
        if error.isOutcomeUnknown {
            self.init(.outcomeUnknown, "Redis did not confirm the write; it may or may not have been applied")
            return
        }
        if let state = error.serverState {
            if state == .outOfMemory {
                self.init(.storageFull, "Redis is out of memory and refuses writes; nothing was changed")
                return
            }
            if state == .persistenceFailure {
                self.init(.storageFull, "Redis cannot persist to disk and refuses writes; nothing was changed")
                return
            }
            if let reason = Self.unavailableStates[state] {
                self.init(.unavailable, "\(reason); nothing was changed, retry later")
                return
            }
        }
        switch error.code {
        case .notConnected, .timeout, .connectionLost, .connectionFailed, .clientShutdown, .authenticationFailed:
            self.init(.unavailable, "Redis is unavailable; nothing was changed, retry later")
        default:
            self.init(.internalError, "Redis rejected a command")
        }
    }
}
