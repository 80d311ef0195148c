/// quotad cannot listen on its configured address: the port is in use, the address does not belong to
/// this host, the host name does not resolve, or the port needs privileges.
public struct ListenError: Error, Sendable, CustomStringConvertible {
    /// `host:port` as configured (`[::1]:8080` for IPv6 literals).
    public var address: String
    /// Why, in a few lower-case words: `address already in use`.
    public var reason: String

    /// Creates an error for `host:port`.
    public init(host: String, port: Int, reason: String) {
        self.address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        self.reason = reason
    }

    /// `cannot listen on 127.0.0.1:8080: address already in use`.
    public var description: String { "cannot listen on \(address): \(reason)" }
}
