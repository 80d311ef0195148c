import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address a webhook host resolved to, and whether quotad may send to it.
///
/// Without `webhooks.allow_private_targets`, registration and every delivery refuse an address whose
/// ``restriction`` is not nil. IPv6 forms that embed an IPv4 address (IPv4-mapped `::ffff:a.b.c.d`,
/// IPv4-compatible `::a.b.c.d`, IPv4-translated `::ffff:0:a.b.c.d`, NAT64 `64:ff9b::/96`) are judged by the
/// embedded address; 6to4 (`2002::/16`), Teredo (`2001::/32`) and local-use NAT64 (`64:ff9b:1::/48`) are
/// refused outright: they are deprecated or local, and where they lead depends on relays quotad cannot check.
public struct WebhookAddress: Sendable, Hashable, CustomStringConvertible {
    /// Why an address is refused.
    public enum Restriction: String, Sendable, Hashable {
        case unspecified, loopback, privateNetwork = "private", linkLocal = "link-local", sharedCGNAT = "shared (CGNAT)"
        case uniqueLocal = "unique-local", siteLocal = "site-local", multicast, reserved
        case sixToFour = "6to4", teredo, localNAT64 = "local-use NAT64"
    }

    /// The address in network byte order: 4 bytes (IPv4) or 16 (IPv6).
    public let bytes: [UInt8]

    /// An address from its bytes; nil unless there are 4 or 16.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Parses a numeric address (`93.184.216.34`, `2001:db8::1`, optionally in brackets); nil for anything else.
    public init?(literal: String) {
        let bare = literal.hasPrefix("[") && literal.hasSuffix("]") ? String(literal.dropFirst().dropLast()) : literal
        var v4 = in_addr()
        if inet_pton(AF_INET, bare, &v4) == 1 {
            self.bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, bare, &v6) == 1 else { return nil }
        self.bytes = withUnsafeBytes(of: &v6) { Array($0) }
    }

    /// Whether this is an IPv6 address.
    public var isIPv6: Bool { bytes.count == 16 }

    /// The numeric form: dotted quad, or IPv6 hex groups (`2001:db8:0:0:0:0:0:1`), parseable by ``init(literal:)``.
    public var description: String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        return stride(from: 0, to: 16, by: 2).map { String(Int(bytes[$0]) << 8 | Int(bytes[$0 + 1]), radix: 16) }.joined(separator: ":")
    }

    /// Why quotad must not send to this address without `allow_private_targets`; nil for a public address.
    public var restriction: Restriction? {
        bytes.count == 4 ? Self.restriction(ofV4: bytes) : Self.restriction(ofV6: bytes)
    }

    private static func restriction(ofV4 a: [UInt8]) -> Restriction? {
        switch (a[0], a[1]) {
        case (0, _): .unspecified
        case (127, _): .loopback
        case (10, _), (172, 16...31), (192, 168): .privateNetwork
        case (100, 64...127): .sharedCGNAT
        case (169, 254): .linkLocal
        case (192, 0) where a[2] == 0, (198, 18...19): .reserved
        case (224...239, _): .multicast
        case (240...255, _): .reserved
        default: nil
        }
    }

    private static func restriction(ofV6 a: [UInt8]) -> Restriction? {
        let zeros = { (range: Range<Int>) in a[range].allSatisfy { $0 == 0 } }
        if zeros(0..<15) && a[15] == 0 { return .unspecified }
        if zeros(0..<15) && a[15] == 1 { return .loopback }
        let embedded = Array(a[12..<16])
        // IPv4-mapped ::ffff:a.b.c.d, IPv4-translated ::ffff:0:a.b.c.d, IPv4-compatible ::a.b.c.d.
        if zeros(0..<10) && a[10] == 0xff && a[11] == 0xff { return restriction(ofV4: embedded) }
        if zeros(0..<8) && a[8] == 0xff && a[9] == 0xff && zeros(10..<12) { return restriction(ofV4: embedded) }
        if zeros(0..<12) { return restriction(ofV4: embedded) }
        // NAT64: the well-known prefix 64:ff9b::/96 reaches the embedded IPv4; 64:ff9b:1::/48 is local use.
        if a[0] == 0x00 && a[1] == 0x64 && a[2] == 0xff && a[3] == 0x9b {
            if zeros(4..<12) { return restriction(ofV4: embedded) }
            if a[4] == 0 && a[5] == 1 { return .localNAT64 }
        }
        if a[0] == 0x20 && a[1] == 0x02 { return .sixToFour }
        if a[0] == 0x20 && a[1] == 0x01 && a[2] == 0 && a[3] == 0 { return .teredo }
        if a[0] == 0x01 && zeros(1..<8) { return .reserved }  // 100::/64, discard-only
        if (a[0] & 0xfe) == 0xfc { return .uniqueLocal }
        if a[0] == 0xfe && (a[1] & 0xc0) == 0x80 { return .linkLocal }
        if a[0] == 0xfe && (a[1] & 0xc0) == 0xc0 { return .siteLocal }
        if a[0] == 0xff { return .multicast }
        return nil
    }
}
