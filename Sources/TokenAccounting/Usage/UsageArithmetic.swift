/// Canonical-count arithmetic shared by the format parsers.
enum UsageArithmetic {
    /// Adds counts without overflow, failing when the sum exceeds ``TokenUsage/maximumCount``.
    ///
    /// - Parameters:
    ///   - parts: The counts to add, each with the name of the field it came from.
    ///   - result: The canonical field being computed, for the error message.
    static func sum(_ parts: [(field: String, count: Int)], into result: String) throws(UsageParseError) -> Int {
        var total = 0
        for part in parts {
            let (sum, overflow) = total.addingReportingOverflow(part.count)
            guard !overflow, sum <= TokenUsage.maximumCount else {
                let names = parts.map(\.field).joined(separator: " + ")
                throw UsageParseError(.invalidCount, "\(result) = \(names) is implausibly large (at most \(TokenUsage.maximumCount))")
            }
            total = sum
        }
        return total
    }

    /// Checks the invariants of a mapped record, turning a violation into `inconsistentCounts`.
    static func validated(_ usage: TokenUsage, format: UsageFormat) throws(UsageParseError) -> TokenUsage {
        do {
            try usage.validate()
        } catch {
            throw UsageParseError(.inconsistentCounts, "\(format.displayName) usage: \(error.message)")
        }
        return usage
    }
}
