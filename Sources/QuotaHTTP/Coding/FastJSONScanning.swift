/// The primitives of the one-pass body decoders (``UsageRequestFastDecoder``, ``ReservationBodyFastDecoder``):
/// each reads a value at `index` in `bytes` and moves past it, or answers nil for anything but the plain form
/// (escapes, control characters, fractions, exponents, leading zeros, more than 18 digits), which the strict
/// path then decides.
protocol FastJSONScanning {
    /// The body.
    var bytes: UnsafeRawBufferPointer { get }
    /// The next byte to read.
    var index: Int { get set }
}

/// A member name a one-pass decoder understands, matched from a key's raw bytes; its raw value (0–63, the
/// declaration order) is its bit in the set of members seen, so a repeated key is refused.
protocol FastJSONField: RawRepresentable<Int> {
    init?(key: UnsafeRawBufferPointer)
}

extension FastJSONScanning {
    /// Reads the object at `index`, `{ "key": value, … }`: for each key (its raw bytes; a key with an escape
    /// gives up) `member` reads the value at `index` and answers whether it understood it. Returns whether
    /// the object was read to its `}`.
    mutating func object(_ member: (inout Self, UnsafeRawBufferPointer) -> Bool) -> Bool {
        guard consume(UInt8(ascii: "{")) else { return false }
        skipWhitespace()
        if consume(UInt8(ascii: "}")) { return true }
        while true {
            skipWhitespace()
            guard let key = rawString() else { return false }
            skipWhitespace()
            guard consume(UInt8(ascii: ":")) else { return false }
            skipWhitespace()
            guard member(&self, key) else { return false }
            skipWhitespace()
            if consume(UInt8(ascii: ",")) { continue }
            return consume(UInt8(ascii: "}"))
        }
    }

    /// Reads an object whose keys are each a known `Field`, each at most once: an unknown or repeated key gives
    /// up (the strict path names it); `member` reads the value of each.
    mutating func object<Field: FastJSONField>(of _: Field.Type, _ member: (inout Self, Field) -> Bool) -> Bool {
        var seen: UInt64 = 0
        return object { json, key in
            guard let field = Field(key: key) else { return false }
            let bit: UInt64 = 1 << field.rawValue
            guard seen & bit == 0 else { return false }
            seen |= bit
            return member(&json, field)
        }
    }

    /// Reads a whole body: one object of `Field` keys (see ``object(of:_:)``), with nothing but whitespace
    /// around it.
    mutating func document<Field: FastJSONField>(of fields: Field.Type, _ member: (inout Self, Field) -> Bool) -> Bool {
        skipWhitespace()
        guard object(of: fields, member) else { return false }
        skipWhitespace()
        return index == bytes.count
    }

    /// Whether the raw bytes `key` spell `name`.
    static func equals(_ key: UnsafeRawBufferPointer, _ name: StaticString) -> Bool {
        key.count == name.utf8CodeUnitCount && key.elementsEqual(UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
    }

    /// The bytes of a string without escapes or control characters (nil otherwise), not yet validated as UTF-8.
    mutating func rawString() -> UnsafeRawBufferPointer? {
        guard consume(UInt8(ascii: "\"")) else { return nil }
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return UnsafeRawBufferPointer(rebasing: bytes[start..<(index - 1)])
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
            index += 1
        }
        return nil
    }

    /// A string without escapes, as valid UTF-8.
    mutating func string() -> String? {
        guard let raw = rawString() else { return nil }
        return String(validating: raw, as: UTF8.self)
    }

    /// A plain JSON integer (`-`? digits, no leading zeros, at most 18 digits, no fraction or exponent).
    mutating func integer() -> Int? {
        let negative = consume(UInt8(ascii: "-"))
        let start = index
        var value = 0
        // At most 18 digits are read (99…9 < 2^63 - 1), so the arithmetic cannot overflow: a 19th digit gives up
        // before it is multiplied in, and the strict path names the field.
        while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
            guard index - start < 18 else { return nil }
            value = value &* 10 &+ Int(bytes[index] &- UInt8(ascii: "0"))
            index += 1
        }
        let digits = index - start
        guard digits >= 1, !(digits > 1 && bytes[start] == UInt8(ascii: "0")) else { return nil }
        if index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): return nil
            default: break
            }
        }
        return negative ? -value : value
    }

    mutating func boolean() -> Bool? {
        if literal("true") { return true }
        if literal("false") { return false }
        return nil
    }

    mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count,
              UnsafeRawBufferPointer(rebasing: bytes[index..<(index + count)])
                .elementsEqual(UnsafeRawBufferPointer(start: word.utf8Start, count: count))
        else { return false }
        index += count
        return true
    }

    mutating func consume(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): index += 1
            default: return
            }
        }
    }
}
