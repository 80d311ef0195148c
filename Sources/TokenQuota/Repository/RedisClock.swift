public import AsyncRedis
public import Foundation
import Synchronization

/// quotad's one clock: Redis's.
///
/// Every decision against "now" — reservation expiry, purging expired reservations, the billing cycle an
/// event or a reservation belongs to — is taken inside the scripts with Redis's `TIME`, so instances whose
/// clocks disagree still agree on every decision. This type only *estimates* Redis's time locally (the local
/// clock plus an offset learned from `TIME`), to pick the cycle a script is asked to work in; a script that
/// finds Redis's time outside that cycle refuses and returns Redis's time, and the repository asks again
/// with the right cycle (see ``RedisQuotaRepository``).
public final class RedisClock: Sendable {
    private let offsetMilliseconds = Atomic<Int>(0)
    private let calibrated = Atomic<Bool>(false)

    /// Creates a clock that has not yet asked Redis for its time.
    public init() {}

    /// The estimated current time of Redis: the local clock plus the last observed offset. On first use it
    /// asks Redis (`TIME`) once; if Redis cannot answer, the local clock stands in until a script corrects it.
    public func now(_ client: RedisClient) async -> Date {
        if !calibrated.load(ordering: .relaxed) {
            let before = Date()
            if let reply = try? await client.send("TIME"), let parts = reply.array, parts.count == 2,
               let seconds = parts[0].int, let micros = parts[1].int
            {
                let after = Date()
                let midpoint = before.addingTimeInterval(after.timeIntervalSince(before) / 2)
                observe(redisMilliseconds: seconds * 1000 + micros / 1000, at: midpoint)
            }
        }
        return Date().addingTimeInterval(Double(offsetMilliseconds.load(ordering: .relaxed)) / 1000)
    }

    /// Records Redis's time (milliseconds since 1970) as seen at the local moment `local`.
    public func observe(redisMilliseconds: Int, at local: Date = Date()) {
        let localMilliseconds = Int((local.timeIntervalSince1970 * 1000).rounded())
        offsetMilliseconds.store(redisMilliseconds - localMilliseconds, ordering: .relaxed)
        calibrated.store(true, ordering: .relaxed)
    }

    /// The last observed difference Redis time − local time, in milliseconds (0 before the first observation).
    public var offset: Int { offsetMilliseconds.load(ordering: .relaxed) }
}
