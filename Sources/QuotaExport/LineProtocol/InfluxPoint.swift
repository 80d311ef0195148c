/// One InfluxDB point: tags, integer fields and a timestamp in nanoseconds.
///
/// Tags with an empty value are left out when the point is encoded (line protocol has no empty tag value).
public struct InfluxPoint: Sendable, Hashable {
    /// Tag keys and values (unescaped). Encoded sorted by key.
    public var tags: [String: String]
    /// Integer fields (unescaped keys) in the order they are encoded.
    public var fields: [Field]
    /// Nanoseconds since the Unix epoch.
    public var timestampNanoseconds: Int64

    /// An integer field.
    public struct Field: Sendable, Hashable {
        /// The field key (unescaped).
        public var key: String
        /// The value, encoded with the integer suffix `i`.
        public var value: Int

        /// Creates a field.
        public init(_ key: String, _ value: Int) {
            self.key = key
            self.value = value
        }
    }

    /// Creates a point.
    public init(tags: [String: String], fields: [Field], timestampNanoseconds: Int64) {
        self.tags = tags
        self.fields = fields
        self.timestampNanoseconds = timestampNanoseconds
    }
}
