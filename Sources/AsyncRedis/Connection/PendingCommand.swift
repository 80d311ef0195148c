import Dispatch

/// A command waiting for its reply: what to send, until when the caller waits, and whom to resume.
struct PendingCommand {
    let command: RedisCommand
    /// Monotonic deadline in nanoseconds (`DispatchTime.uptimeNanoseconds`).
    let deadline: UInt64
    /// Whom to resume with the reply; nil for a command whose reply is dropped (the `ASKING` written right
    /// before a command redirected by `ASK`: the command's own reply or error is what counts).
    let continuation: UnsafeContinuation<CompletedReply, any Error>?
    /// Where the reply is stored instead of resuming anyone: set for every command but the last of a batch
    /// written back to back (a write followed by `WAIT`; a pipeline), whose caller is resumed by the last
    /// command's reply and then reads the others here. Nil for every other command.
    var heldReply: HeldReply? = nil
    /// The connection's own use of the reply (its AUTH and SELECT handshake), called on its event loop.
    var internalReply: ((Result<RedisReply, RedisError>) -> Void)? = nil
}

/// Monotonic time in nanoseconds.
@inline(__always)
func monotonicNanoseconds() -> UInt64 {
    DispatchTime.now().uptimeNanoseconds
}
