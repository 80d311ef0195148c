import NIOCore

/// A command as binary-safe arguments, encoded for the wire as it is built.
///
/// Each argument is stored as a RESP bulk string (`$<length>\r\n<bytes>\r\n`) in one contiguous buffer, so
/// building a command costs one allocation and sending it is a copy: the connection adds the `*<count>\r\n`
/// header and the bytes go out as they are (no per-command formatting on the connection's event loop).
public struct RedisCommand: Sendable, Hashable {
    /// The arguments as RESP bulk strings, back to back.
    @usableFromInline var storage: [UInt8]
    /// The number of arguments, the command name included.
    public private(set) var count: Int

    /// Creates a command from its name and arguments.
    public init(_ name: String, _ arguments: any RedisArgument...) {
        self.init(name, arguments)
    }

    /// Creates a command from its name and an array of arguments.
    public init(_ name: String, _ arguments: [any RedisArgument]) {
        storage = []
        storage.reserveCapacity(128)
        count = 0
        append(name)
        for argument in arguments { argument.append(to: &self) }
    }

    /// Appends a UTF-8 string argument.
    public mutating func append(_ string: String) {
        var string = string
        string.withUTF8 { append(bytes: $0) }
    }

    /// Appends a decimal integer argument.
    public mutating func append(_ value: Int) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            let written = RESP.writeDecimal(value, into: digits)
            append(bytes: UnsafeBufferPointer(rebasing: digits[(digits.count - written)...]))
        }
    }

    /// Appends raw bytes as one argument.
    public mutating func append(bytes: some Collection<UInt8>) {
        let length = bytes.count
        storage.append(UInt8(ascii: "$"))
        RESP.appendDecimal(length, to: &storage)
        storage.append(UInt8(ascii: "\r"))
        storage.append(UInt8(ascii: "\n"))
        storage.append(contentsOf: bytes)
        storage.append(UInt8(ascii: "\r"))
        storage.append(UInt8(ascii: "\n"))
        count += 1
    }

    /// The arguments as byte arrays (for logging in tests and debugging).
    public var arguments: [[UInt8]] {
        var result: [[UInt8]] = []
        result.reserveCapacity(count)
        var index = 0
        while index < storage.count {
            // "$<length>\r\n<bytes>\r\n"
            var length = 0
            index += 1
            while storage[index] != UInt8(ascii: "\r") {
                length = length * 10 + Int(storage[index] - UInt8(ascii: "0"))
                index += 1
            }
            index += 2
            result.append(Array(storage[index..<index + length]))
            index += length + 2
        }
        return result
    }

    /// Appends the whole command (`*<count>\r\n` and the arguments) to `buffer`.
    func encode(into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: "*"))
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            let written = RESP.writeDecimal(count, into: digits)
            buffer.writeBytes(UnsafeBufferPointer(rebasing: digits[(digits.count - written)...]))
        }
        buffer.writeInteger(UInt16(0x0D0A))
        buffer.writeBytes(storage)
    }
}

/// A value that can be one argument of a ``RedisCommand``.
public protocol RedisArgument: Sendable {
    /// Appends this value as one argument.
    func append(to command: inout RedisCommand)
}

extension String: RedisArgument {
    public func append(to command: inout RedisCommand) { command.append(self) }
}

extension Substring: RedisArgument {
    public func append(to command: inout RedisCommand) { command.append(String(self)) }
}

extension Int: RedisArgument {
    public func append(to command: inout RedisCommand) { command.append(self) }
}

extension Array: RedisArgument where Element == UInt8 {
    public func append(to command: inout RedisCommand) { command.append(bytes: self) }
}

extension RedisCommand {
    /// Where each argument's bytes lie in ``storage`` (the command name first), for routing in cluster mode.
    var argumentRanges: [Range<Int>] {
        var result: [Range<Int>] = []
        result.reserveCapacity(count)
        var index = 0
        while index < storage.count {
            // "$<length>\r\n<bytes>\r\n"
            var length = 0
            index += 1
            while storage[index] != UInt8(ascii: "\r") {
                length = length * 10 + Int(storage[index] - UInt8(ascii: "0"))
                index += 1
            }
            index += 2
            result.append(index..<index + length)
            index += length + 2
        }
        return result
    }
}
