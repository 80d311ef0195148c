/// Helpers for writing RESP (the Redis wire protocol) by hand.
enum RESP {
    /// Writes `value` in decimal at the end of `buffer` (20 bytes are enough for any `Int`); returns how many
    /// bytes it wrote. The digits occupy `buffer[(buffer.count - written)...]`.
    @inline(__always)
    static func writeDecimal(_ value: Int, into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
        var magnitude = value.magnitude
        var index = buffer.count
        repeat {
            index -= 1
            buffer[index] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: magnitude % 10)
            magnitude /= 10
        } while magnitude != 0
        if value < 0 {
            index -= 1
            buffer[index] = UInt8(ascii: "-")
        }
        return buffer.count - index
    }

    /// Appends `value` in decimal to `output`.
    @inline(__always)
    static func appendDecimal(_ value: Int, to output: inout [UInt8]) {
        if value >= 0 && value < 10 {
            output.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: value))
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            let written = writeDecimal(value, into: digits)
            output.append(contentsOf: UnsafeBufferPointer(rebasing: digits[(digits.count - written)...]))
        }
    }
}
