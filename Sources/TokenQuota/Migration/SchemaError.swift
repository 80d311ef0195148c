public import AsyncRedis

/// Redis does not hold data this quotad can serve, or the schema check or migration could not finish.
///
/// ``message`` is one line meant for an operator: it says what was found and what to do.
public struct SchemaError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Base: String, Sendable {
            case needsMigration, newerSchema, unreadableMarker, redis
        }
        let base: Base
        /// Redis holds data of an older schema: run `quotad migrate` first.
        public static let needsMigration = Code(base: .needsMigration)
        /// Redis holds data of a newer schema than this quotad knows.
        public static let newerSchema = Code(base: .newerSchema)
        /// The marker key holds something that is not a version number.
        public static let unreadableMarker = Code(base: .unreadableMarker)
        /// A Redis command failed (see ``SchemaError/underlying``).
        public static let redis = Code(base: .redis)
        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public var code: Code
    /// What was found and what to do, in one line.
    public var message: String
    /// The Redis error behind a ``Code/redis`` failure.
    public var underlying: RedisError?

    /// Creates an error.
    public init(_ code: Code, _ message: String, underlying: RedisError? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    /// Redis holds data of schema `version` (older than ``SchemaVersion/current``).
    public static func needsMigration(from version: Int) -> SchemaError {
        SchemaError(
            .needsMigration,
            "this Redis holds quotad schema v\(version) data; run `quotad migrate` (with the same configuration) before serving"
        )
    }

    /// Redis holds data of schema `version` (newer than ``SchemaVersion/current``).
    public static func newer(_ version: Int) -> SchemaError {
        SchemaError(
            .newerSchema,
            "this Redis holds quotad schema v\(version) data, newer than this quotad's v\(SchemaVersion.current); run a newer quotad (or point this one at another Redis)"
        )
    }

    /// A Redis command failed while `doing` something.
    static func redis(_ error: RedisError, _ doing: String) -> SchemaError {
        SchemaError(.redis, "redis error while \(doing): \(error.message)", underlying: error)
    }

    public var description: String { message }
}
