/// Exponential backoff with jitter for failed writes: the n-th wait is drawn from
/// `[d/2, d]` with `d = min(initial * 2^n, maximum)`, so instances that failed together do not retry in step.
struct ExportBackoff: Sendable {
    let initial: Duration
    let maximum: Duration
    private(set) var attempt = 0

    init(initial: Duration, maximum: Duration) {
        self.initial = initial
        self.maximum = max(initial, maximum)
    }

    /// The next wait, growing with each call.
    mutating func next<Generator: RandomNumberGenerator>(using generator: inout Generator) -> Duration {
        let ceiling = self.ceiling(attempt)
        attempt += 1
        let nanoseconds = Self.nanoseconds(ceiling)
        let half = nanoseconds / 2
        return .nanoseconds(half + Int64.random(in: 0...(nanoseconds - half), using: &generator))
    }

    /// The next wait, with the system generator.
    mutating func next() -> Duration {
        var generator = SystemRandomNumberGenerator()
        return next(using: &generator)
    }

    /// Starts again from `initial`.
    mutating func reset() { attempt = 0 }

    /// The upper bound of the wait after `attempt` failures.
    func ceiling(_ attempt: Int) -> Duration {
        var value = initial
        for _ in 0..<min(attempt, 62) {
            value = value * 2
            if value >= maximum { return maximum }
        }
        return min(value, maximum)
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
    }
}
