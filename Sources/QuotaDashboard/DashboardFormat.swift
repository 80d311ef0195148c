import QuotaStores
import QuotaHTTP
import Foundation

/// How the dashboard shows numbers, money and times: counts with thousands separators, money as the exact
/// decimal in dollars (``DecimalUSD``), times in the tenant's time zone. Locale-independent, so pages and
/// tests read the same everywhere.
enum DashboardFormat {
    /// `1234567` → `1,234,567` (negative numbers keep their sign).
    static func count(_ value: Int) -> String {
        let digits = Array(String(value.magnitude).utf8)
        var out: [UInt8] = value < 0 ? [UInt8(ascii: "-")] : []
        out.reserveCapacity(digits.count + digits.count / 3 + 1)
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(UInt8(ascii: ",")) }
            out.append(digit)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Nano-USD as dollars with the exact decimal and thousands separators: `12500000000` → `$12.50`,
    /// `1234` → `$0.000001234`.
    static func usd(nano: Int) -> String {
        let exact = DecimalUSD.string(fromNanoUSD: nano)
        let negative = exact.hasPrefix("-")
        let unsigned = negative ? String(exact.dropFirst()) : exact
        let parts = unsigned.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = Int(parts[0]).map(count) ?? String(parts[0])
        let fraction = parts.count > 1 ? "." + parts[1] : ""
        return (negative ? "-$" : "$") + whole + fraction
    }

    /// A short axis label: `950`, `12k`, `3.4M`, `1.2B`.
    static func compact(_ value: Int) -> String {
        let magnitude = Double(value.magnitude)
        let sign = value < 0 ? "-" : ""
        for (threshold, suffix) in [(1e9, "B"), (1e6, "M"), (1e3, "k")] where magnitude >= threshold {
            let scaled = magnitude / threshold
            let text = scaled >= 10 ? String(Int(scaled.rounded())) : String(format: "%.1f", scaled)
            return sign + (text.hasSuffix(".0") ? String(text.dropLast(2)) : text) + suffix
        }
        return String(value)
    }

    /// `used` as a whole percentage of `limit` (0 when there is no positive limit), capped at 999.
    static func percent(_ used: Int, of limit: Int?) -> Int {
        guard let limit, limit > 0 else { return 0 }
        guard used > 0 else { return 0 }
        let product = UInt(used).multipliedFullWidth(by: 100)
        guard product.high < UInt(limit) else { return 999 }
        return min(Int(clamping: UInt(limit).dividingFullWidth(product).quotient), 999)
    }

    /// A date and time in `timeZone`, with its offset from UTC at that instant: `2025-03-04 14:05 UTC+01:00`,
    /// or `2025-03-04 13:05 UTC` (the same on every platform, unlike zone abbreviations).
    static func dateTime(_ date: Date, in timeZone: TimeZone) -> String {
        let local = formatted(date, "yyyy-MM-dd HH:mm", timeZone)
        guard timeZone.secondsFromGMT(for: date) != 0 else { return local + " UTC" }
        return local + " UTC" + formatted(date, "xxxxx", timeZone)
    }

    /// A date in `timeZone`: `2025-03-04`.
    static func date(_ date: Date, in timeZone: TimeZone) -> String {
        formatted(date, "yyyy-MM-dd", timeZone)
    }

    /// An ISO 8601 instant (machine-readable, for `<time datetime>`).
    static func iso(_ date: Date) -> String {
        formatted(date, "yyyy-MM-dd'T'HH:mm:ss'Z'", TimeZone(identifier: "UTC") ?? .gmt)
    }

    private static func formatted(_ date: Date, _ format: String, _ timeZone: TimeZone) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.calendar = Calendar(identifier: .gregorian)
        formatter.timeZone = timeZone
        formatter.dateFormat = format
        return formatter.string(from: date)
    }
}

