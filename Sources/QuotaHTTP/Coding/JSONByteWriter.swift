import Foundation
import NIOCore

/// Writes compact JSON bytes for hot-path responses whose members are known in advance (no intermediate
/// ``JSONFragment`` tree, dictionaries or key sorting). Bytes go to a reserved array (appends are plain
/// stores; `ByteBuffer`'s per-write checks cost more than the copy into a buffer at the end).
///
/// Strings are escaped exactly as ``JSONFragment`` escapes them, so a response written member by member in
/// sorted key order is byte-identical to the fragment's serialization.
struct JSONByteWriter {
    private var bytes: [UInt8] = []

    /// A writer with room for `capacity` bytes.
    init(capacity: Int) {
        bytes.reserveCapacity(capacity)
    }

    /// The bytes written so far.
    var buffer: ByteBuffer { ByteBuffer(bytes: bytes) }

    private mutating func byte(_ value: UInt8) {
        bytes.append(value)
    }

    private mutating func staticString(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Appends literal JSON (punctuation, quoted keys).
    mutating func raw(_ text: StaticString) {
        staticString(text)
    }

    /// Appends `"key":` (the key must need no escaping).
    mutating func key(_ name: StaticString) {
        byte(UInt8(ascii: "\""))
        staticString(name)
        byte(UInt8(ascii: "\""))
        byte(UInt8(ascii: ":"))
    }

    /// Appends a quoted, escaped string.
    mutating func string(_ value: String) {
        var value = value
        let clean = value.withUTF8 { utf8 -> Bool in
            guard !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else { return false }
            bytes.append(UInt8(ascii: "\""))
            bytes.append(contentsOf: utf8)
            bytes.append(UInt8(ascii: "\""))
            return true
        }
        if !clean { JSONFragment.writeString(value, to: &bytes) }
    }

    /// Appends an integer in decimal.
    mutating func int(_ value: Int) {
        if value >= 0 && value < 10 {
            byte(UInt8(ascii: "0") + UInt8(value))
            return
        }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for "-9223372036854775808"
        withUnsafeMutableBytes(of: &digits) { scratch in
            var magnitude = value.magnitude
            var position = scratch.count
            repeat {
                position -= 1
                scratch[position] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            if value < 0 {
                position -= 1
                scratch[position] = UInt8(ascii: "-")
            }
            bytes.append(contentsOf: scratch[position...])
        }
    }

    /// Appends an integer, or `null`.
    mutating func int(_ value: Int?) {
        if let value { int(value) } else { raw("null") }
    }

    /// Appends `true` or `false`.
    mutating func bool(_ value: Bool) {
        if value { raw("true") } else { raw("false") }
    }

    /// Appends a date as a quoted ISO 8601 UTC timestamp with whole seconds, as `Date.formatted(.iso8601)`
    /// writes it (computed directly for whole-second dates in years 1970…9999, by Foundation otherwise).
    mutating func timestamp(_ date: Date) {
        let interval = date.timeIntervalSince1970
        guard interval >= 0, interval < 253_402_300_800, interval.rounded(.towardZero) == interval else {
            string(date.formatted(.iso8601))
            return
        }
        let seconds = Int(interval)
        let (year, month, day) = Self.civilDate(daysSinceEpoch: seconds / 86_400)
        let time = seconds % 86_400
        byte(UInt8(ascii: "\""))
        digits(year, width: 4)
        byte(UInt8(ascii: "-"))
        digits(month, width: 2)
        byte(UInt8(ascii: "-"))
        digits(day, width: 2)
        byte(UInt8(ascii: "T"))
        digits(time / 3600, width: 2)
        byte(UInt8(ascii: ":"))
        digits(time % 3600 / 60, width: 2)
        byte(UInt8(ascii: ":"))
        digits(time % 60, width: 2)
        staticString("Z\"")
    }

    private mutating func digits(_ value: Int, width: Int) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            byte(UInt8(ascii: "0") + UInt8(rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`).
    static func civilDate(daysSinceEpoch days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
