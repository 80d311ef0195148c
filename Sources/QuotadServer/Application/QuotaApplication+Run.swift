import Foundation
public import Hummingbird
public import QuotaHTTP
import NIOCore

extension Application where Responder == RouterResponder<QuotaRequestContext> {
    /// Runs quotad until SIGTERM or SIGINT, then shuts down gracefully: in-flight requests complete,
    /// then the background services stop (the Redis client last).
    ///
    /// - Parameters:
    ///   - host: the configured listen address, for the error message (the application cannot tell it).
    ///   - port: the configured port.
    /// - Throws: ``ListenError`` when the server cannot bind `host:port`; other errors as they come.
    public func runUntilTerminated(host: String, port: Int) async throws {
        do {
            try await runService()
        } catch {
            if let reason = Self.listenFailure(error) {
                throw ListenError(host: host, port: port, reason: reason)
            }
            throw error
        }
    }

    /// The reason, when `error` is a failure to bind the listening socket (NIO reports those as an
    /// `IOError` from `bind(2)`, or as an unresolvable host name); nil for any other error.
    static func listenFailure(_ error: any Error) -> String? {
        switch error {
        case let error as IOError:
            guard error.description.hasPrefix("bind") else { return nil }
            switch error.errnoCode {
            case EADDRINUSE: return "address already in use"
            case EADDRNOTAVAIL: return "address not available on this host"
            case EACCES: return "permission denied (ports below 1024 need privileges)"
            default: return String(cString: strerror(error.errnoCode)).lowercased()
            }
        case let error as SocketAddressError.UnknownHost:
            return "cannot resolve host '\(error.host)' (\(error.errorDescription))"
        case SocketAddressError.unsupported:
            return "unsupported address"
        default:
            return nil
        }
    }
}
