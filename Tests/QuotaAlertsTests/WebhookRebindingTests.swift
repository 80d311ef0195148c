import AsyncRedis
import Foundation
@testable import QuotaAlerts
import Synchronization
import Testing

/// A resolver whose answers are scripted: the first `publicAnswers` lookups give a public address, every
/// later one `later` (DNS rebinding).
final class RebindingResolver: WebhookResolver {
    private let lookups = Mutex(0)
    let publicAnswers: Int
    let later: WebhookAddress

    init(publicAnswers: Int, later: String) {
        self.publicAnswers = publicAnswers
        self.later = WebhookAddress(literal: later)!
    }

    var count: Int { lookups.withLock { $0 } }

    func addresses(of host: String) async -> [WebhookAddress] {
        let index = lookups.withLock { count in
            count += 1
            return count
        }
        return index <= publicAnswers ? [WebhookAddress(literal: "93.184.216.34")!] : [later]
    }
}

@Suite("Webhook delivery checks the address it connects to")
struct WebhookRebindingTests {
    /// Registration sees a public address; at delivery `localhost` points at the receiver on 127.0.0.1. The
    /// delivery is refused (a failed attempt, retried) and the receiver never gets the signed alert.
    @Test func aNameRebindingToLoopbackIsRefusedAtDelivery() async throws {
        try await withAlertsRedis { client in
            try await withReceiver { receiver, port in
                var settings = fastSettings()
                settings.allowPrivateTargets = false
                let resolver = RebindingResolver(publicAnswers: 1, later: "127.0.0.1")
                let store = WebhookStore(client: client, settings: settings, resolver: resolver)
                let hook = try await store.create(tenant: "acme", url: "http://localhost:\(port)/hook/a", events: ["quota.threshold"], secret: nil)
                try await withDeliveryServices(client: client, settings: settings, resolver: resolver) {
                    try await addAlert(client, tenant: "acme", threshold: 80)
                    try await waitUntil("two refused attempts") {
                        let list = try await deliveries(store, tenant: "acme", webhook: hook.id)
                        return (list.first?.attempts ?? 0) >= 2
                    }
                }
                let delivery = try #require(try await deliveries(store, tenant: "acme", webhook: hook.id).first)
                #expect(delivery.lastError?.contains("loopback") == true, "\(delivery.lastError ?? "")")
                #expect(delivery.lastError?.contains("127.0.0.1") == true)
                #expect(receiver.received.isEmpty, "the loopback receiver got \(receiver.received.count) requests")
                #expect(resolver.count >= 3, "every attempt resolves the host itself")
            }
        }
    }

    /// The connection goes to the address the delivery resolved and checked (a name the system cannot resolve),
    /// with the original `Host` header.
    @Test func theDeliveryConnectsToTheCheckedAddress() async throws {
        try await withAlertsRedis { client in
            try await withReceiver { receiver, port in
                var settings = fastSettings()
                let resolver = RebindingResolver(publicAnswers: 0, later: "127.0.0.1")
                let store = WebhookStore(client: client, settings: settings)
                let hook = try await store.create(
                    tenant: "acme", url: "http://pinned.example.invalid:\(port)/hook/p", events: ["quota.threshold"], secret: nil
                )
                settings.allowPrivateTargets = false
                // Loopback accepted here only so that a real receiver can stand in for a public one.
                try await withDeliveryServices(client: client, settings: settings, resolver: resolver, addressCheck: { _ in nil }) {
                    try await addAlert(client, tenant: "acme", threshold: 80)
                    try await waitUntil("the delivery") {
                        try await deliveries(store, tenant: "acme", webhook: hook.id).first?.status == .delivered
                    }
                }
                #expect(receiver.received.count == 1)
                #expect(receiver.received.first?.host == "pinned.example.invalid:\(port)")
            }
        }
    }
}
