/// Conversions of external price notations to quotad's exact unit, nano-USD per 1,000,000 tokens.
///
/// A price of $2.50 per 1M tokens is `2_500_000_000`. Prices are bounded by ``maximum`` ($10,000 per 1M
/// tokens, far above any real model) so that a call of ``TokenUsage/maximumCount`` tokens in every class
/// still costs less than `Int.max` nano-USD.
enum PriceAmount {
    /// Nano-USD in one USD.
    static let nanoPerUSD = 1_000_000_000
    /// The largest accepted price: $10,000 per 1M tokens.
    static let maximum = 10_000 * nanoPerUSD
    /// The largest number of fractional digits of a decimal price (1 nano-USD).
    static let maximumFractionDigits = 9

    /// Parses a decimal USD-per-1M-tokens string such as `"2.50"`, `"0.075"` or `"3"` exactly.
    ///
    /// Accepted: ASCII digits, optionally followed by `.` and 1 to 9 digits. Rejected: signs, exponents,
    /// `inf`/`nan`, empty strings, more than 9 fractional digits and values above ``maximum``.
    static func parse(decimal text: String, model: String?, field: String) throws(PricingError) -> Int {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts[0]
        let fraction = parts.count == 2 ? parts[1] : ""
        let isDigits = { (part: Substring) in part.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } }
        guard !whole.isEmpty, isDigits(whole), isDigits(fraction),
              parts.count == 1 || (1...maximumFractionDigits).contains(fraction.count)
        else {
            throw .forField(
                .invalidPrice, model: model, field: field,
                "price '\(field)' must be a non-negative decimal with at most \(maximumFractionDigits) fractional digits (got \"\(text)\")"
            )
        }
        // Digit strings of bounded length: the conversions cannot fail.
        let significant = whole.drop { $0 == "0" }
        let padded = fraction + String(repeating: "0", count: maximumFractionDigits - fraction.count)
        guard significant.count <= 5, let dollars = Int(significant.isEmpty ? "0" : significant), let nano = Int(padded),
              dollars * nanoPerUSD + nano <= maximum
        else {
            throw rangeError(text: text, model: model, field: field)
        }
        return dollars * nanoPerUSD + nano
    }

    /// Converts a LiteLLM per-token USD price (such as `1.25e-07`) to nano-USD per 1M tokens.
    ///
    /// LiteLLM writes its prices as short decimal literals, so `value × 10¹⁵` is within a tiny fraction of an
    /// integer and rounding recovers the intended decimal exactly (to 1 nano-USD per 1M tokens, i.e.
    /// 10⁻¹⁵ USD per token). Negative, NaN and infinite values and values above ``maximum`` are rejected.
    static func convert(perTokenUSD value: Double, model: String?, field: String) throws(PricingError) -> Int {
        guard value.isFinite, value >= 0 else {
            throw .forField(.invalidPrice, model: model, field: field, "price '\(field)' must be a finite non-negative number (got \(value))")
        }
        let scaled = (value * 1e15).rounded()
        guard scaled <= Double(maximum), let nano = Int(exactly: scaled) else {
            throw rangeError(text: "\(value) USD per token", model: model, field: field)
        }
        return nano
    }

    /// Converts a LiteLLM per-request USD price (such as `0.01` per web search) to nano-USD per 1,000 requests,
    /// with the same rounding and bounds as ``convert(perTokenUSD:model:field:)``.
    static func convert(perRequestUSD value: Double, model: String?, field: String) throws(PricingError) -> Int {
        guard value.isFinite, value >= 0 else {
            throw .forField(.invalidPrice, model: model, field: field, "price '\(field)' must be a finite non-negative number (got \(value))")
        }
        let scaled = (value * 1e12).rounded()
        guard scaled <= Double(maximum), let nano = Int(exactly: scaled) else {
            throw .forField(
                .invalidPrice, model: model, field: field,
                "price '\(field)' is above the supported maximum of 10000 USD per 1,000 requests (got \(value) USD per request)"
            )
        }
        return nano
    }

    private static func rangeError(text: String, model: String?, field: String) -> PricingError {
        .forField(
            .invalidPrice, model: model, field: field,
            "price '\(field)' is above the supported maximum of 10000 USD per 1M tokens (got \(text))"
        )
    }
}
