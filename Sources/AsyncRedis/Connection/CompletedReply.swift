/// A reply handed to its caller, with the monotonic time it was read (one clock read per batch of replies
/// on the event loop instead of one per command on the caller's side; used for the latency metric).
struct CompletedReply: Sendable {
    let reply: RedisReply
    /// Monotonic nanoseconds (`monotonicNanoseconds()`) when the reply was read.
    let completedAt: UInt64
}
