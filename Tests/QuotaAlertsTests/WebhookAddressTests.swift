import Foundation
@testable import QuotaAlerts
import Testing

/// Every address class a webhook must not reach without `allow_private_targets`, and public ones that it may.
@Suite struct WebhookAddressTests {
    static let refused: [(String, WebhookAddress.Restriction)] = [
        ("0.0.0.0", .unspecified), ("0.1.2.3", .unspecified), ("127.0.0.1", .loopback), ("127.255.0.9", .loopback),
        ("10.1.2.3", .privateNetwork), ("172.16.0.1", .privateNetwork), ("172.31.255.255", .privateNetwork),
        ("192.168.1.1", .privateNetwork), ("169.254.169.254", .linkLocal), ("100.64.0.1", .sharedCGNAT),
        ("100.127.255.254", .sharedCGNAT), ("224.0.0.1", .multicast), ("239.255.255.250", .multicast),
        ("240.0.0.1", .reserved), ("255.255.255.255", .reserved), ("192.0.0.8", .reserved), ("198.18.0.1", .reserved),
        ("::", .unspecified), ("::1", .loopback), ("fc00::1", .uniqueLocal), ("fd12:3456::1", .uniqueLocal),
        ("fe80::1", .linkLocal), ("febf::1", .linkLocal), ("fec0::1", .siteLocal), ("feff::1", .siteLocal),
        ("ff02::1", .multicast), ("100::1", .reserved),
        // IPv6 forms that embed an IPv4 address are judged by it.
        ("::ffff:127.0.0.1", .loopback), ("::ffff:10.0.0.1", .privateNetwork), ("::127.0.0.1", .loopback),
        ("::10.0.0.1", .privateNetwork), ("::ffff:0:127.0.0.1", .loopback), ("::ffff:0:169.254.169.254", .linkLocal),
        ("64:ff9b::127.0.0.1", .loopback), ("64:ff9b::192.168.0.1", .privateNetwork),
        // Refused outright.
        ("2002:7f00:1::1", .sixToFour), ("2002:5db8:d822::1", .sixToFour), ("2001:0:4136:e378::1", .teredo),
        ("64:ff9b:1::1", .localNAT64),
    ]

    static let accepted = [
        "93.184.216.34", "8.8.8.8", "172.32.0.1", "100.128.0.1", "192.0.1.1", "2606:2800:220:1:248:1893:25c8:1946",
        "2001:4860:4860::8888", "::ffff:93.184.216.34", "64:ff9b::93.184.216.34", "::93.184.216.34", "fe00::1" ,
    ]

    @Test func refusedClasses() throws {
        for (literal, restriction) in Self.refused {
            let address = try #require(WebhookAddress(literal: literal), "\(literal) parses")
            #expect(address.restriction == restriction, "\(literal)")
        }
    }

    @Test func publicAddressesAreAccepted() throws {
        for literal in Self.accepted {
            let address = try #require(WebhookAddress(literal: literal), "\(literal) parses")
            #expect(address.restriction == nil, "\(literal) is \(address.restriction.map(\.rawValue) ?? "")")
        }
    }

    @Test func literalsRoundTripAndJunkIsNotAnAddress() throws {
        for literal in ["93.184.216.34", "[2001:db8::1]", "::ffff:10.0.0.1"] {
            let address = try #require(WebhookAddress(literal: literal))
            #expect(WebhookAddress(literal: address.description) == address)
        }
        #expect(WebhookAddress(literal: "example.com") == nil)
        #expect(WebhookAddress(literal: "2130706433") == nil)
        #expect(WebhookAddress(bytes: [1, 2, 3]) == nil)
    }

    @Test(arguments: ["http://[::ffff:127.0.0.1]/h", "http://[::127.0.0.1]/h", "http://[::ffff:0:10.0.0.1]/h", "http://[64:ff9b::7f00:1]/h",
                      "http://[2002:7f00:1::1]/h", "http://[fec0::1]/h", "http://2130706433/h", "http://127.1/h"])
    func registrationRefusesTransitionForms(url: String) async throws {
        await #expect(throws: WebhookError.self) { try await WebhookTarget.validate(url, allowPrivateTargets: false) }
    }
}
