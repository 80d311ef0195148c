/// The reply of a command written back to back with later ones (a write, then `WAIT`; a pipelined batch),
/// kept by the I/O thread until the last command's reply resumes the caller.
final class HeldReply {
    /// Set by the I/O thread when the first reply arrives; read by the caller after the pair completed.
    var reply: RedisReply?

    init() {}
}

// Written only by the connection's I/O thread, before it resumes the continuation of the batch's last
// command; read only by the caller after that continuation resumed (the resume orders the two accesses).
extension HeldReply: @unchecked Sendable {}
