/// The configuration cannot be used: a file is unreadable or malformed, a key is unknown, or a value
/// has the wrong type or is out of range.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    /// What is wrong, naming the key (its full dotted path) or environment variable, and where.
    public var message: String
    /// The key or environment variable concerned (`http.port`, `QUOTAD_HTTP_PORT`), when there is one.
    public var key: String?
    /// The 1-based line in the YAML file, when the error comes from a file.
    public var line: Int?
    /// The 1-based column in the YAML file, when the error comes from a file.
    public var column: Int?

    /// Creates an error.
    public init(_ message: String, key: String? = nil, line: Int? = nil, column: Int? = nil) {
        self.message = message
        self.key = key
        self.line = line
        self.column = column
    }

    public var description: String { message }
}
