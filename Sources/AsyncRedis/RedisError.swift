/// An error from the Redis client.
///
/// The ``code`` tells what happened; ``isOutcomeUnknown`` tells whether the command may have run on the
/// server. A command whose outcome is unknown is never retried by the client: the caller decides.
public struct RedisError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Base: String, Sendable {
            case invalidURL, unsupportedScheme, connectionFailed, notConnected, timeout, connectionLost
            case serverError, protocolError, unexpectedReply, clientShutdown, authenticationFailed
            case crossSlot, notReplicated, tlsFailed
        }
        let base: Base
        /// The URL could not be parsed.
        public static let invalidURL = Code(base: .invalidURL)
        /// The URL's scheme is not supported (only `redis://`, `rediss://` and `unix://` are).
        public static let unsupportedScheme = Code(base: .unsupportedScheme)
        /// Connecting (TCP or Unix socket) failed.
        public static let connectionFailed = Code(base: .connectionFailed)
        /// TLS (`rediss://`) failed: its files cannot be loaded, or the handshake failed (a certificate that
        /// does not verify, a name it does not cover, a server that does not speak TLS); the message says which.
        public static let tlsFailed = Code(base: .tlsFailed)
        /// AUTH or SELECT was refused on connect.
        public static let authenticationFailed = Code(base: .authenticationFailed)
        /// No connection was up: the command was not sent (safe to retry).
        public static let notConnected = Code(base: .notConnected)
        /// The command timed out. If it had been written, its outcome is unknown.
        public static let timeout = Code(base: .timeout)
        /// The connection failed after the command was written: its outcome is unknown.
        public static let connectionLost = Code(base: .connectionLost)
        /// The server answered with an error reply.
        public static let serverError = Code(base: .serverError)
        /// The server's bytes could not be parsed.
        public static let protocolError = Code(base: .protocolError)
        /// A reply had a type the caller did not expect.
        public static let unexpectedReply = Code(base: .unexpectedReply)
        /// The client was shut down.
        public static let clientShutdown = Code(base: .clientShutdown)
        /// Cluster mode: the command's keys map to different hash slots, so no node can run it. It was not
        /// sent (refused by the client before sending); put the keys under one `{hash tag}`.
        public static let crossSlot = Code(base: .crossSlot)
        /// An acknowledged write (`acknowledgedBy:` > 0) ran on the primary, but `WAIT` reported fewer
        /// replicas than asked within the timeout: the write may be lost if the primary fails over now. Its
        /// outcome is unknown (``RedisError/isOutcomeUnknown`` is true); retry with the same idempotency key.
        public static let notReplicated = Code(base: .notReplicated)
        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public var code: Code
    /// A human-readable explanation (for server errors, the server's message).
    public var message: String
    /// True when the command was (or may have been) written and no reply arrived: it may have run.
    public var isOutcomeUnknown: Bool
    /// For a ``Code/serverError``: the server state that made the server refuse the command (out of memory,
    /// loading, read-only replica, busy script, ...), or nil for any other error.
    ///
    /// Such a refusal proves the command did not run (for a script: it stopped before its first write), so
    /// it is safe to retry once the state clears. Match on this value, never on ``message``: for these errors
    /// ``message`` is a fixed text that carries neither the server's reply nor a script's SHA.
    public var serverState: ServerState?

    /// Creates an error.
    public init(_ code: Code, _ message: String, outcomeUnknown: Bool = false) {
        self.code = code
        self.message = message
        self.isOutcomeUnknown = outcomeUnknown
        self.serverState = nil
    }

    /// Creates the ``Code/serverError`` for an error reply, recognising the server states in ``ServerState``
    /// (also inside a script's error, in the Redis 7 and the older "ERR Error running script" shapes).
    ///
    /// - Parameter reply: the error reply's text, as the server sent it.
    public init(serverError reply: String) {
        self.code = .serverError
        self.isOutcomeUnknown = false
        if let state = ServerState(reply: reply) {
            self.serverState = state
            self.message = state.message
        } else {
            self.serverState = nil
            self.message = reply
        }
    }

    /// The first word of a server error (`NOSCRIPT`, `WRONGTYPE`, `ERR`, `OOM`, ...), if this is one.
    public var serverErrorPrefix: Substring? {
        guard code == .serverError else { return nil }
        return message.split(separator: " ", maxSplits: 1).first
    }

    public var description: String {
        "RedisError(\(code)\(isOutcomeUnknown ? ", outcome unknown" : "")): \(message)"
    }
}
