/// A command as binary-safe arguments, ready for hiredis' Argv API.
///
/// Arguments are packed into one contiguous buffer so that building a command costs one or two allocations.
public struct RedisCommand: Sendable, Hashable {
    /// All argument bytes, back to back.
    @usableFromInline var storage: [UInt8]
    /// The length of each argument in `storage`.
    @usableFromInline var lengths: [Int]

    /// Creates a command from its name and arguments.
    public init(_ name: String, _ arguments: any RedisArgument...) {
        self.init(name, arguments)
    }

    /// Creates a command from its name and an array of arguments.
    public init(_ name: String, _ arguments: [any RedisArgument]) {
        storage = []
        storage.reserveCapacity(128)
        lengths = []
        lengths.reserveCapacity(arguments.count + 1)
        append(name)
        for argument in arguments { argument.append(to: &self) }
    }

    /// The number of arguments, the command name included.
    public var count: Int { lengths.count }

    /// Appends a UTF-8 string argument.
    public mutating func append(_ string: String) {
        var string = string
        string.withUTF8 { append(bytes: $0) }
    }

    /// Appends a decimal integer argument.
    public mutating func append(_ value: Int) {
        append(String(value))
    }

    /// Appends raw bytes as one argument.
    public mutating func append(bytes: some Collection<UInt8>) {
        storage.append(contentsOf: bytes)
        lengths.append(bytes.count)
    }

    /// The arguments as byte arrays (for logging in tests and debugging).
    public var arguments: [[UInt8]] {
        var offset = 0
        return lengths.map { length in
            defer { offset += length }
            return Array(storage[offset..<offset + length])
        }
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
