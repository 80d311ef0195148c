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

extension FastJSONScanning {
    /// The raw bytes of the object or array at `index` — a provider response passed through as sent — after
    /// checking what the strict path checks: JSON grammar, no object repeating a key, at most `levels` of
    /// nesting, valid UTF-8. Gives up (nil) where only the strict path can decide exactly as it does: a key
    /// with an escape, an object of more than ``maximumRawObjectKeys`` keys, a number with an exponent or more
    /// than 18 integer digits, a lone surrogate escape, a control character, or anything malformed.
    mutating func rawContainer(levels: Int) -> UnsafeRawBufferPointer? {
        let start = index
        guard index < bytes.count, bytes[index] == UInt8(ascii: "{") || bytes[index] == UInt8(ascii: "[") else { return nil }
        guard skipValue(levels: levels) else { return nil }
        let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
        if !raw.allSatisfy({ $0 < 0x80 }), String(validating: raw, as: UTF8.self) == nil { return nil }
        return raw
    }

    /// The most keys ``rawContainer(levels:)`` checks for repeats in one object (each against every other);
    /// a larger object is left to the strict path.
    static var maximumRawObjectKeys: Int { 64 }

    /// Moves past one JSON value, checking it (see ``rawContainer(levels:)``); false to give up.
    mutating func skipValue(levels: Int) -> Bool {
        guard index < bytes.count else { return false }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            guard levels > 0 else { return false }
            index += 1
            skipWhitespace()
            if consume(UInt8(ascii: "}")) { return true }
            var keys: [UnsafeRawBufferPointer] = []
            while true {
                skipWhitespace()
                guard let key = rawString(), keys.count < Self.maximumRawObjectKeys, !keys.contains(where: { $0.elementsEqual(key) })
                else { return false }
                keys.append(key)
                skipWhitespace()
                guard consume(UInt8(ascii: ":")) else { return false }
                skipWhitespace()
                guard skipValue(levels: levels - 1) else { return false }
                skipWhitespace()
                if consume(UInt8(ascii: ",")) { continue }
                return consume(UInt8(ascii: "}"))
            }
        case UInt8(ascii: "["):
            guard levels > 0 else { return false }
            index += 1
            skipWhitespace()
            if consume(UInt8(ascii: "]")) { return true }
            while true {
                skipWhitespace()
                guard skipValue(levels: levels - 1) else { return false }
                skipWhitespace()
                if consume(UInt8(ascii: ",")) { continue }
                return consume(UInt8(ascii: "]"))
            }
        case UInt8(ascii: "\""): return skipString()
        case UInt8(ascii: "t"): return literal("true")
        case UInt8(ascii: "f"): return literal("false")
        case UInt8(ascii: "n"): return literal("null")
        default: return skipNumber()
        }
    }

    /// Moves past a string, escapes included (`\uD800`–`\uDBFF` only as the first half of a pair).
    mutating func skipString() -> Bool {
        guard consume(UInt8(ascii: "\"")) else { return false }
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""): return true
            case 0..<0x20: return false
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { return false }
                let escaped = bytes[index]
                index += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                     UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    continue
                case UInt8(ascii: "u"):
                    guard let unit = hexUnit() else { return false }
                    if (0xDC00...0xDFFF).contains(unit) { return false }
                    if (0xD800...0xDBFF).contains(unit) {
                        guard consume(UInt8(ascii: "\\")), consume(UInt8(ascii: "u")), let low = hexUnit(), (0xDC00...0xDFFF).contains(low)
                        else { return false }
                    }
                default: return false
                }
            default: continue
            }
        }
        return false
    }

    /// Four hex digits after `\u`.
    mutating func hexUnit() -> Int? {
        guard index + 4 <= bytes.count else { return nil }
        var unit = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: Int
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = Int(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = Int(byte - UInt8(ascii: "a")) + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = Int(byte - UInt8(ascii: "A")) + 10
            default: return nil
            }
            unit = unit << 4 | digit
            index += 1
        }
        return unit
    }

    /// Moves past a number: `-`? integer digits (no leading zeros, at most 18) and an optional fraction; an
    /// exponent gives up.
    mutating func skipNumber() -> Bool {
        _ = consume(UInt8(ascii: "-"))
        let start = index
        while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") { index += 1 }
        let digits = index - start
        guard (1...18).contains(digits), !(digits > 1 && bytes[start] == UInt8(ascii: "0")) else { return false }
        if consume(UInt8(ascii: ".")) {
            let fraction = index
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") { index += 1 }
            guard index > fraction else { return false }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") { return false }
        return true
    }
}
