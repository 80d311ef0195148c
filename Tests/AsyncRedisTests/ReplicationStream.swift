@testable import AsyncRedis
import Foundation
import Synchronization

/// A stream of acknowledged, idempotent increments (`SET id NX` + `INCR` in one script) by a few workers,
/// each retrying an id until it succeeds; records which ids succeeded and when calls failed.
final class AcknowledgedStream: Sendable {
    static let script = RedisScript(
        """
        if redis.call('SET', KEYS[1], '1', 'NX') then return redis.call('INCR', KEYS[2]) end
        return tonumber(redis.call('GET', KEYS[2]))
        """
    )

    struct Log {
        var succeeded: [String] = []
        /// Ids in flight when the stream stopped (may or may not have been applied).
        var abandoned: [String] = []
        var outcomeUnknown = 0
        var failures = 0
        var errors: [String: Int] = [:]
        var firstFailure: ContinuousClock.Instant?
        var lastFailure: ContinuousClock.Instant?
        var firstSuccessAfterFailure: ContinuousClock.Instant?
        /// When the test killed the primary (``markKill()``), and the first acknowledged call started after it.
        var killedAt: ContinuousClock.Instant?
        var firstSuccessAfterKill: ContinuousClock.Instant?
    }

    let tag: String
    let log = Mutex(Log())
    private let stopped = Atomic<Bool>(false)

    /// - Parameter tag: the hash tag every key shares (one cluster slot).
    init(tag: String) {
        self.tag = tag
    }

    var counterKey: String { "{\(tag)}:count" }
    func idKey(_ id: String) -> String { "{\(tag)}:id:\(id)" }

    var successes: Int { log.withLock { $0.succeeded.count } }
    var hasRecovered: Bool { log.withLock { $0.firstSuccessAfterFailure != nil } }

    /// Runs `workers` workers until ``stop()`` (each worker is bounded by `timeLimit` too).
    func run(client: RedisClient, workers: Int, timeLimit: Duration) async {
        let end = ContinuousClock.now + timeLimit
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<workers {
                group.addTask { await self.work(worker: worker, client: client, end: end) }
            }
        }
    }

    /// Records that the primary is being killed now.
    func markKill() {
        let now = ContinuousClock.now
        log.withLock { $0.killedAt = now }
    }

    func stop() {
        stopped.store(true, ordering: .relaxed)
    }

    private func work(worker: Int, client: RedisClient, end: ContinuousClock.Instant) async {
        var sequence = 0
        while !stopped.load(ordering: .relaxed) && ContinuousClock.now < end {
            let id = "\(worker)-\(sequence)"
            sequence += 1
            var done = false
            var failed = false
            // Retries the same id until it is acknowledged (bounded by the time limit; once stopped, an id that
            // failed is abandoned instead).
            while !done {
                if ContinuousClock.now >= end || (failed && stopped.load(ordering: .relaxed)) {
                    log.withLock { $0.abandoned.append(id) }
                    break
                }
                let started = ContinuousClock.now
                do {
                    _ = try await client.evaluate(
                        Self.script, keys: [idKey(id), counterKey], arguments: [], acknowledgedBy: 1, within: .milliseconds(500)
                    )
                    let now = ContinuousClock.now
                    log.withLock { log in
                        log.succeeded.append(id)
                        if log.firstFailure != nil && log.firstSuccessAfterFailure == nil { log.firstSuccessAfterFailure = now }
                        if let killedAt = log.killedAt, started > killedAt, log.firstSuccessAfterKill == nil { log.firstSuccessAfterKill = now }
                    }
                    done = true
                } catch {
                    let now = ContinuousClock.now
                    log.withLock { log in
                        log.failures += 1
                        if error.isOutcomeUnknown { log.outcomeUnknown += 1 }
                        log.errors["\(error.code)", default: 0] += 1
                        if log.firstFailure == nil { log.firstFailure = now }
                        log.lastFailure = now
                    }
                    failed = true
                    // Fast failures (not connected) would spin: pause briefly before the retry.
                    try? await Task.sleep(for: .milliseconds(20))
                }
            }
        }
    }

    /// Checks the stream against the server: every acknowledged id present, the counter counts each applied
    /// id exactly once. Returns (lost acknowledged, counter, applied ids).
    func verify(with client: RedisClient) async throws -> (lost: Int, counter: Int, applied: Int) {
        let (succeeded, abandoned) = log.withLock { ($0.succeeded, $0.abandoned) }
        var lost = 0
        for id in succeeded where try await client.send("EXISTS", idKey(id)).int != 1 { lost += 1 }
        var appliedAbandoned = 0
        for id in abandoned where try await client.send("EXISTS", idKey(id)).int == 1 { appliedAbandoned += 1 }
        let counter = try await client.send("GET", counterKey).int ?? 0
        return (lost, counter, Set(succeeded).count - lost + appliedAbandoned)
    }
}
