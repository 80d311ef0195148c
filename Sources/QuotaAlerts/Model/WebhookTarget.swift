import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Checks a webhook URL: absolute `http`/`https`, and (unless private targets are allowed) a host that
/// resolves only to public addresses, so a tenant cannot make quotad call into its own network (SSRF).
public enum WebhookTarget {
    /// The longest URL accepted.
    public static let maximumLength = 2048

    /// Validates `url`; throws a ``WebhookError/Code/invalid`` naming what is wrong.
    ///
    /// Host names are resolved on a thread of their own (`getaddrinfo` blocks).
    public static func validate(_ url: String, allowPrivateTargets: Bool) async throws(WebhookError) {
        guard url.utf8.count <= maximumLength else {
            throw WebhookError(.invalid, "url is longer than \(maximumLength) bytes")
        }
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https"
        else {
            throw WebhookError(.invalid, "url must be an absolute http:// or https:// URL")
        }
        guard let host = components.host, !host.isEmpty else {
            throw WebhookError(.invalid, "url must name a host")
        }
        guard components.user == nil, components.password == nil else {
            throw WebhookError(.invalid, "url must not carry credentials: use the signing secret to authenticate deliveries")
        }
        if allowPrivateTargets { return }
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let addresses = await resolve(bare)
        guard !addresses.isEmpty else {
            throw WebhookError(.invalid, "url host '\(bare.prefix(253))' does not resolve")
        }
        if let address = addresses.first(where: isPrivate) {
            throw WebhookError(
                .invalid,
                "url host '\(bare.prefix(253))' resolves to a loopback, private or link-local address (\(describe(address))); "
                    + "set webhooks.allow_private_targets (QUOTAD_WEBHOOKS_ALLOW_PRIVATE_TARGETS) to allow such targets"
            )
        }
    }

    /// The IPv4 (4 bytes) and IPv6 (16 bytes) addresses of `host`.
    static func resolve(_ host: String) async -> [[UInt8]] {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: resolveBlocking(host)) }
            thread.start()
        }
    }

    private static func resolveBlocking(_ host: String) -> [[UInt8]] {
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
        var result: [[UInt8]] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            if let address = entry.pointee.ai_addr {
                if entry.pointee.ai_family == AF_INET {
                    address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                        var value = pointer.pointee.sin_addr
                        result.append(withUnsafeBytes(of: &value) { Array($0) })
                    }
                } else if entry.pointee.ai_family == AF_INET6 {
                    address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                        var value = pointer.pointee.sin6_addr
                        result.append(withUnsafeBytes(of: &value) { Array($0) })
                    }
                }
            }
            cursor = entry.pointee.ai_next
        }
        return result
    }

    /// Whether an address is loopback, private, link-local, shared (CGNAT), unspecified, multicast or
    /// broadcast (IPv4-mapped IPv6 addresses are judged as IPv4).
    static func isPrivate(_ address: [UInt8]) -> Bool {
        if address.count == 4 {
            let (a, b) = (address[0], address[1])
            return a == 0 || a == 10 || a == 127 || (a == 100 && (64...127).contains(b)) || (a == 169 && b == 254)
                || (a == 172 && (16...31).contains(b)) || (a == 192 && b == 168) || a >= 224
        }
        guard address.count == 16 else { return true }
        if address[0..<10].allSatisfy({ $0 == 0 }) && address[10] == 0xff && address[11] == 0xff {
            return isPrivate(Array(address[12..<16]))
        }
        if address[0..<15].allSatisfy({ $0 == 0 }) && (address[15] == 0 || address[15] == 1) { return true }
        return (address[0] & 0xfe) == 0xfc || (address[0] == 0xfe && (address[1] & 0xc0) == 0x80) || address[0] == 0xff
    }

    static func describe(_ address: [UInt8]) -> String {
        if address.count == 4 { return address.map(String.init).joined(separator: ".") }
        return stride(from: 0, to: address.count, by: 2).map { String(Int(address[$0]) << 8 | Int(address[$0 + 1]), radix: 16) }
            .joined(separator: ":")
    }
}
