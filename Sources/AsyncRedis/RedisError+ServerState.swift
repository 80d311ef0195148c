extension RedisError {
    /// A server state in which the server refuses commands before running them.
    ///
    /// Every one of these replies proves the command did not run: the server checks the state before
    /// executing it, and inside a script it refuses only the script's first write (Redis stops a script that
    /// has already written rather than leave it half done). Retrying later is safe; whether and when to retry
    /// is the caller's decision (for example HTTP 507 for ``outOfMemory`` and ``persistenceFailure``, 503
    /// for the others).
    public struct ServerState: Sendable, Hashable, CustomStringConvertible {
        enum Base: String, Sendable, CaseIterable {
            case outOfMemory = "OOM"
            case loading = "LOADING"
            case readOnly = "READONLY"
            case busy = "BUSY"
            case masterDown = "MASTERDOWN"
            case tryAgain = "TRYAGAIN"
            case clusterDown = "CLUSTERDOWN"
            case persistenceFailure = "MISCONF"
        }
        let base: Base

        init(base: Base) {
            self.base = base
        }

        /// `OOM`: `maxmemory` is reached and the eviction policy frees nothing (`noeviction`).
        public static let outOfMemory = ServerState(base: .outOfMemory)
        /// `LOADING`: the server is still loading its dataset (AOF/RDB) after a start.
        public static let loading = ServerState(base: .loading)
        /// `READONLY`: the server is a read-only replica (for example after a failover).
        public static let readOnly = ServerState(base: .readOnly)
        /// `BUSY`: a script or function has run past `busy-reply-threshold`; the server answers nothing else.
        public static let busy = ServerState(base: .busy)
        /// `MASTERDOWN`: a replica lost its master and `replica-serve-stale-data` is `no`.
        public static let masterDown = ServerState(base: .masterDown)
        /// `TRYAGAIN`: a multi-key command during cluster resharding.
        public static let tryAgain = ServerState(base: .tryAgain)
        /// `CLUSTERDOWN`: the cluster cannot serve the command's slot.
        public static let clusterDown = ServerState(base: .clusterDown)
        /// `MISCONF`: the server cannot persist (a failed AOF write or RDB save, e.g. a full disk) and
        /// refuses writes until it can.
        public static let persistenceFailure = ServerState(base: .persistenceFailure)

        /// The error prefix the server uses for this state (`OOM`, `BUSY`, ...).
        public var prefix: String { base.rawValue }

        public var description: String { base.rawValue }

        /// The fixed ``RedisError/message`` for this state.
        var message: String {
            let explanation: String
            switch base {
            case .outOfMemory: explanation = "the server reached maxmemory"
            case .loading: explanation = "the server is loading its dataset"
            case .readOnly: explanation = "the server is a read-only replica"
            case .busy: explanation = "the server is busy running a script or function"
            case .masterDown: explanation = "the replica's link with its master is down"
            case .tryAgain: explanation = "the keys' slots are being resharded"
            case .clusterDown: explanation = "the cluster is down"
            case .persistenceFailure: explanation = "the server cannot persist to disk and refuses writes"
            }
            return "\(base.rawValue) \(explanation); the command was not run"
        }

        /// Recognises the state in an error reply: `OOM command not allowed ...`, the same with Redis 7's
        /// `script: <sha>, on @user_script:1.` suffix, or Redis 6's
        /// `ERR Error running script (call to f_<sha>): @user_script:1: @user_script: 1: -OOM ...`.
        init?(reply: String) {
            let firstWord = reply.prefix { $0 != " " }
            if let base = Base(rawValue: String(firstWord)) {
                self.base = base
                return
            }
            guard reply.hasPrefix("ERR Error running script") else { return nil }
            for base in Base.allCases where reply.contains(": -\(base.rawValue) ") {
                self.base = base
                return
            }
            return nil
        }
    }
}
