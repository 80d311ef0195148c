/// The reply of a command written back to back with later ones (a write, then `WAIT`; a pipelined batch),
/// kept by the connection until the last command's reply resumes the caller.
final class HeldReply {
    /// Set on the connection's event loop when the reply arrives; read by the caller after the batch completed.
    var reply: RedisReply?

    init() {}
}

// Written only on the connection's event loop, before it resumes the continuation of the batch's last
// command; read only by the caller after that continuation resumed (the resume orders the two accesses).
extension HeldReply: @unchecked Sendable {}
