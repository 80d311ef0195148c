/// Exact conversion between decimal USD strings (`"12.50"`) and integer nano-USD, without floating point.
public enum DecimalUSD {
    /// Parses a non-negative decimal with at most 9 fractional digits into nano-USD.
    ///
    /// - Returns: nil when the text is not such a decimal or the amount does not fit.
    public static func nanoUSD(from text: String) -> Int? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.utf8.count <= 10,
              whole.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let units = Int(whole)
        else { return nil }
        var fraction = 0
        if parts.count == 2 {
            let digits = parts[1]
            guard (1...9).contains(digits.utf8.count), digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
                  let value = Int(digits)
            else { return nil }
            var scale = 1
            for _ in 0..<(9 - digits.utf8.count) { scale *= 10 }
            fraction = value * scale
        }
        let (scaled, overflow) = units.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return nil }
        let (total, overflow2) = scaled.addingReportingOverflow(fraction)
        return overflow2 ? nil : total
    }

    /// Formats nano-USD as a decimal string with at least 2 and at most 9 fractional digits (`"12.50"`).
    public static func string(fromNanoUSD nano: Int) -> String {
        let sign = nano < 0 ? "-" : ""
        let magnitude = nano.magnitude
        let units = magnitude / 1_000_000_000
        var fraction = String(magnitude % 1_000_000_000)
        fraction = String(repeating: "0", count: 9 - fraction.count) + fraction
        while fraction.count > 2 && fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(sign)\(units).\(fraction)"
    }
}
