/// Integer addition that clamps instead of trapping, for sums of stored totals.
enum Saturating {
    /// `a + b`, clamped at `Int.max` (or `Int.min`), and whether it was clamped.
    static func add(_ a: Int, _ b: Int) -> (value: Int, saturated: Bool) {
        let (sum, overflow) = a.addingReportingOverflow(b)
        guard overflow else { return (sum, false) }
        return (b > 0 ? Int.max : Int.min, true)
    }
}
