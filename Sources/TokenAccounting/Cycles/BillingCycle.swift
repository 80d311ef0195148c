public import Foundation

/// One billing cycle: the half-open interval `[start, end)`.
public struct BillingCycle: Sendable, Hashable, Codable {
    /// The cycle's id: the local calendar date (`yyyy-MM-dd`, in the policy's time zone) of its start,
    /// for example `"2026-11-01"`.
    public var id: String
    /// The first instant of the cycle.
    public var start: Date
    /// The first instant after the cycle (the next cycle's start).
    public var end: Date

    /// Creates a cycle.
    public init(id: String, start: Date, end: Date) {
        self.id = id
        self.start = start
        self.end = end
    }

    /// Whether `date` lies within `[start, end)`.
    public func contains(_ date: Date) -> Bool {
        start <= date && date < end
    }

    /// The cycle's length in seconds.
    public var duration: TimeInterval {
        end.timeIntervalSince(start)
    }
}
