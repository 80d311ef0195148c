import AsyncHTTPClient
import Foundation
import NIOCore

extension WebhookDeliveryService {
    /// Where one attempt connects: the checked address of the webhook's host, pinned for that attempt.
    struct Destination {
        /// The host as async-http-client keys its DNS override: the URL's host, IPv6 literals in brackets.
        var hostKey: String
        /// The address checked and connected to.
        var address: WebhookAddress
    }

    /// Resolves the host of `url` once and checks every address it gives (DNS rebinding: the name may answer
    /// differently than at registration); the first address is where the attempt connects.
    func destination(of url: String) async -> Result<Destination, AttemptFailure> {
        guard let host = URL(string: url)?.host, !host.isEmpty else {
            return .failure(AttemptFailure(reason: "refused", message: "the webhook URL has no host"))
        }
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let literal = WebhookAddress(literal: bare)
        let addresses = if let literal { [literal] } else { await resolver.addresses(of: bare) }
        guard let first = addresses.first else {
            return .failure(AttemptFailure(reason: "connection", message: "host '\(bare.prefix(253))' does not resolve"))
        }
        for address in addresses {
            if let restriction = addressCheck(address) {
                return .failure(AttemptFailure(
                    reason: "refused",
                    message: "refused: host '\(bare.prefix(200))' resolves to a \(restriction.rawValue) address (\(address)) "
                        + "and webhooks.allow_private_targets is off"
                ))
            }
        }
        return .success(Destination(hostKey: literal?.isIPv6 == true ? "[\(bare)]" : bare, address: first))
    }

    /// An HTTP client for one attempt that connects to `destination`'s address whatever the host resolves to
    /// now (async-http-client's DNS override): the `Host` header, TLS SNI and certificate verification keep
    /// the URL's host name. Shut down by the caller.
    func pinnedClient(to destination: Destination) -> HTTPClient {
        let timeout = TimeAmount.milliseconds(Int64(settings.timeout.milliseconds))
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: timeout, read: timeout))
        configuration.dnsOverride = [destination.hostKey: destination.address.description]
        configuration.connectionPool = .init(idleTimeout: .seconds(1))
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }
}
