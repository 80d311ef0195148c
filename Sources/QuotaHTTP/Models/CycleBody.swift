public import Foundation
public import TokenAccounting

/// A billing cycle in responses: `{"id","start","end"}` (ISO 8601 UTC).
public struct CycleBody: Sendable, Encodable {
    /// The cycle id (its local start date, `yyyy-MM-dd`).
    public var id: String
    /// The start (inclusive).
    public var start: Date
    /// The end (exclusive).
    public var end: Date

    /// Converts a domain cycle.
    public init(_ cycle: BillingCycle) {
        self.id = cycle.id
        self.start = cycle.start
        self.end = cycle.end
    }
}
