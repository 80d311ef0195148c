import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Checks a webhook URL: absolute `http`/`https`, and (unless private targets are allowed) a host that
/// resolves only to public addresses (see ``WebhookAddress/restriction``), so a tenant cannot make quotad
/// call into its own network (SSRF).
public enum WebhookTarget {
    /// The longest URL accepted.
    public static let maximumLength = 2048

    /// Validates `url`; throws a ``WebhookError/Code/invalid`` naming what is wrong.
    ///
    /// Without `allowPrivateTargets`, the host (a name through `resolver`, or an address literal) must give
    /// only addresses without a ``WebhookAddress/restriction``. Deliveries check again (a name may change
    /// its answer: DNS rebinding), see ``WebhookDeliveryService``.
    public static func validate(
        _ url: String, allowPrivateTargets: Bool, resolver: any WebhookResolver = SystemWebhookResolver()
    ) async throws(WebhookError) {
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
        let addresses = if let literal = WebhookAddress(literal: bare) { [literal] } else { await resolver.addresses(of: bare) }
        guard !addresses.isEmpty else {
            throw WebhookError(.invalid, "url host '\(bare.prefix(253))' does not resolve")
        }
        if let (address, restriction) = firstRefused(addresses) {
            throw WebhookError(
                .invalid,
                "url host '\(bare.prefix(253))' resolves to a \(restriction.rawValue) address (\(address)); "
                    + "set webhooks.allow_private_targets (QUOTAD_WEBHOOKS_ALLOW_PRIVATE_TARGETS) to allow such targets"
            )
        }
    }

    /// The first address of `addresses` quotad must not send to, with why; nil when all are public.
    static func firstRefused(_ addresses: [WebhookAddress]) -> (WebhookAddress, WebhookAddress.Restriction)? {
        for address in addresses {
            if let restriction = address.restriction { return (address, restriction) }
        }
        return nil
    }
}
