/// The reply of the first command of a pair written back to back (a write, then `WAIT`), kept by the I/O
/// thread until the second reply resumes the caller.
final class HeldReply {
    /// Set by the I/O thread when the first reply arrives; read by the caller after the pair completed.
    var reply: RedisReply?

    init() {}
}

// Written only by the connection's I/O thread, before it resumes the continuation of the pair's second
// command; read only by the caller after that continuation resumed (the resume orders the two accesses).
extension HeldReply: @unchecked Sendable {}
