import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Resolves a webhook's host name. Registration and (without `allow_private_targets`) every delivery ask it,
/// and a delivery connects to the address it checked, never resolving the name a second time.
public protocol WebhookResolver: Sendable {
    /// The addresses `host` resolves to now; empty when it does not resolve.
    func addresses(of host: String) async -> [WebhookAddress]
}

/// The system's resolver (`getaddrinfo`), run on a thread of its own because it blocks.
public struct SystemWebhookResolver: WebhookResolver {
    /// Creates the resolver.
    public init() {}

    /// The IPv4 and IPv6 addresses `getaddrinfo` gives for `host`, in its order.
    public func addresses(of host: String) async -> [WebhookAddress] {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: Self.resolveBlocking(host)) }
            thread.start()
        }
    }

    private static func resolveBlocking(_ host: String) -> [WebhookAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return [] }
        defer { freeaddrinfo(first) }
        var result: [WebhookAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            if let address = entry.pointee.ai_addr {
                var bytes: [UInt8] = []
                if entry.pointee.ai_family == AF_INET {
                    address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                        var value = pointer.pointee.sin_addr
                        bytes = withUnsafeBytes(of: &value) { Array($0) }
                    }
                } else if entry.pointee.ai_family == AF_INET6 {
                    address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                        var value = pointer.pointee.sin6_addr
                        bytes = withUnsafeBytes(of: &value) { Array($0) }
                    }
                }
                if let resolved = WebhookAddress(bytes: bytes), !result.contains(resolved) { result.append(resolved) }
            }
            cursor = entry.pointee.ai_next
        }
        return result
    }
}
