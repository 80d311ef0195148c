import CoreMetrics

extension RedisClient {
    /// Sends several commands at once and returns their outcomes in order: one round trip instead of one
    /// per command.
    ///
    /// A standalone client writes them back to back on one connection, so they also run in this order and
    /// nothing else is written between them (like `redis-benchmark -P`); the caller waits once, for the last
    /// reply. In cluster and sentinel modes each command is sent as by ``send(_:)`` (routed, redirected,
    /// retried on a new primary), all at once, so their order is not guaranteed: pipeline only commands
    /// that do not depend on each other.
    ///
    /// Each outcome is the command's reply, or the ``RedisError`` its error reply (or, outside standalone
    /// mode, its own failure) maps to.
    ///
    /// - Throws: ``RedisError`` for a failure of the whole batch in standalone mode (not connected: nothing
    ///   was sent; timeout or connection lost: the outcome of every command is unknown).
    public func pipeline(_ commands: [RedisCommand]) async throws(RedisError) -> [Result<RedisReply, RedisError>] {
        guard !commands.isEmpty else { return [] }
        guard case .standalone(let pool) = backend else { return await sendEach(commands) }
        let start = monotonicNanoseconds()
        metrics.commands.increment(by: commands.count)
        let batch: (replies: [RedisReply], completedAt: UInt64)
        do {
            batch = try await pool.pick().execute(batch: commands, deadline: start &+ configuration.commandTimeout.nanoseconds)
        } catch {
            metrics.recordError(error.code)
            throw error
        }
        // One latency sample per batch: the time until its last reply.
        metrics.latency.recordNanoseconds(Int64(truncatingIfNeeded: batch.completedAt &- start))
        return batch.replies.map { reply in
            guard case .error(let message) = reply else { return .success(reply) }
            metrics.recordError(.serverError)
            return .failure(RedisError(serverError: message))
        }
    }

    /// Cluster and sentinel modes: each command through ``send(_:)``, concurrently.
    private func sendEach(_ commands: [RedisCommand]) async -> [Result<RedisReply, RedisError>] {
        await withTaskGroup(of: (Int, Result<RedisReply, RedisError>).self) { group in
            for index in commands.indices {
                let command = commands[index]
                group.addTask { (index, await self.outcome(of: command)) }
            }
            var outcomes = [Result<RedisReply, RedisError>](repeating: .success(.null), count: commands.count)
            while let (index, outcome) = await group.next() {
                outcomes[index] = outcome
            }
            return outcomes
        }
    }

    /// The reply of one command sent with ``send(_:)``, or its error.
    private func outcome(of command: RedisCommand) async -> Result<RedisReply, RedisError> {
        do {
            return .success(try await send(command))
        } catch {
            return .failure(error)
        }
    }
}
