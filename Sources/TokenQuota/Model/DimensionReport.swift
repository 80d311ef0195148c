public import TokenAccounting

/// A tenant cycle's usage per value of one declared dimension (from the cycle's `d|<name>|<value>` rows).
/// Events without the dimension in their metadata are in no row, so the rows need not add up to the
/// tenant's totals.
public struct DimensionReport: Sendable, Hashable {
    /// The tenant.
    public var tenant: String
    /// The tenant's cycle the report covers.
    public var cycle: BillingCycle
    /// The dimension (a declared metadata key).
    public var dimension: String
    /// One row per value (``ReportRow/id`` = the value), sorted by value.
    public var rows: [ReportRow]

    /// Creates a report.
    public init(tenant: String, cycle: BillingCycle, dimension: String, rows: [ReportRow]) {
        self.tenant = tenant
        self.cycle = cycle
        self.dimension = dimension
        self.rows = rows
    }
}
