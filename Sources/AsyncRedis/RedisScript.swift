import Crypto

/// A Lua script: its source and the SHA1 that `EVALSHA` names it by.
///
/// ``RedisClient/evaluate(_:keys:arguments:)`` runs it with `EVALSHA`; on `NOSCRIPT` (which proves the
/// script did not run) it sends the source once with `EVAL`, which also caches it for later calls.
public struct RedisScript: Sendable, Hashable {
    /// The Lua source.
    public let source: String
    /// The lowercase hex SHA1 of the source.
    public let sha1: String

    /// Creates a script and computes its SHA1.
    public init(_ source: String) {
        self.source = source
        self.sha1 = Insecure.SHA1.hash(data: Array(source.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
