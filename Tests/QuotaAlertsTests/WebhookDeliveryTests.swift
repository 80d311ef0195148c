import AsyncRedis
import Crypto
import Foundation
@testable import QuotaAlerts
import Testing

@Suite("Webhook delivery against a real receiver")
struct WebhookDeliveryTests {
    /// The signature verifies with the reference algorithm computed here, independently of the service's code.
    @Test func deliveryIsSignedPerStandardWebhooks() async throws {
        try await withAlertsRedis { client in
            try await withReceiver { receiver, port in
                let store = WebhookStore(client: client, settings: fastSettings())
                let secret = "whsec_" + Data((0..<32).map { UInt8($0) }).base64EncodedString()
                let hook = try await store.create(
                    tenant: "acme", url: "http://127.0.0.1:\(port)/hook/a", events: ["quota.threshold"], secret: secret
                )
                try await withDeliveryServices(client: client, settings: fastSettings()) {
                    let streamID = try await addAlert(client, tenant: "acme", threshold: 80)
                    try await waitUntil("the delivery") { !receiver.received.isEmpty }
                    let request = try #require(receiver.received.first)
                    #expect(request.id == "msg_" + streamID)
                    #expect(request.contentType == "application/json")
                    let timestamp = try #require(Int(request.timestamp))
                    #expect(abs(timestamp - Int(Date().timeIntervalSince1970)) < 60)
                    // Standard Webhooks: HMAC-SHA256 over "<id>.<timestamp>.<body>" keyed with base64-decoded secret.
                    let keyBytes = Data(base64Encoded: String(secret.dropFirst(6)))!
                    let content = Data("\(request.id).\(request.timestamp).".utf8) + Data(request.body)
                    let expected = Data(HMAC<SHA256>.authenticationCode(for: content, using: SymmetricKey(data: keyBytes))).base64EncodedString()
                    #expect(request.signature.split(separator: " ").contains { $0 == "v1,\(expected)" })
                    let payload = try #require(try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])
                    let data = try #require(payload["data"] as? [String: Any])
                    #expect(payload["type"] as? String == "quota.threshold")
                    #expect(data["tenant"] as? String == "acme")
                    #expect(data["threshold"] as? Int == 80)
                    #expect(data["used"] as? Int == 800)
                    #expect(data["limit_value"] as? Int == 1000)
                    try await waitUntil("delivered status") {
                        try await deliveries(store, tenant: "acme", webhook: hook.id).first?.status == .delivered
                    }
                }
            }
        }
    }

    @Test func serverErrorsAreRetriedWithTheSameWebhookID() async throws {
        try await withAlertsRedis { client in
            try await withReceiver(answer: { index, _ in index < 2 ? .status(500) : .status(204) }) { receiver, port in
                let store = WebhookStore(client: client, settings: fastSettings())
                let hook = try await store.create(tenant: "acme", url: "http://127.0.0.1:\(port)/hook/a", events: ["quota.threshold"], secret: nil)
                try await withDeliveryServices(client: client, settings: fastSettings()) {
                    let streamID = try await addAlert(client, tenant: "acme")
                    try await waitUntil("delivered after two failures") {
                        try await deliveries(store, tenant: "acme", webhook: hook.id).first?.status == .delivered
                    }
                    let delivery = try #require(try await deliveries(store, tenant: "acme", webhook: hook.id).first)
                    #expect(delivery.attempts == 3)
                    #expect(delivery.lastStatusCode == 204)
                    let received = receiver.received
                    #expect(received.count == 3)
                    #expect(Set(received.map(\.id)) == ["msg_" + streamID])
                    #expect(Set(received.map(\.body)).count == 1)
                }
            }
        }
    }

    @Test func aSlowReceiverTimesOutAndIsRetried() async throws {
        let settings = {
            var settings = fastSettings()
            settings.timeout = .seconds(1)
            return settings
        }()
        try await withAlertsRedis { client in
            try await withReceiver(answer: { index, _ in index == 0 ? .slow(.seconds(4), status: 200) : .status(200) }) { receiver, port in
                let store = WebhookStore(client: client, settings: settings)
                let hook = try await store.create(tenant: "acme", url: "http://127.0.0.1:\(port)/hook/a", events: ["quota.threshold"], secret: nil)
                try await withDeliveryServices(client: client, settings: settings) {
                    try await addAlert(client, tenant: "acme")
                    try await waitUntil("delivered after a timeout") {
                        try await deliveries(store, tenant: "acme", webhook: hook.id).first?.status == .delivered
                    }
                    let delivery = try #require(try await deliveries(store, tenant: "acme", webhook: hook.id).first)
                    // The first attempt timed out; the next succeeded (or, on a loaded machine, a later one).
                    #expect(delivery.attempts >= 2)
                    #expect(receiver.received.count == delivery.attempts)
                    #expect(Set(receiver.received.map(\.id)).count == 1)
                }
            }
        }
    }

    @Test func failingDeliveriesAreDeadLetteredAndCanBeRetried() async throws {
        try await withAlertsRedis { client in
            let healthy = Flag()
            try await withReceiver(answer: { _, _ in healthy.isSet ? .status(200) : .status(503) }) { receiver, port in
                // The short retry window dead-letters the delivery after one attempt or a few (however loaded
                // the machine, every attempt ends with the receiver's 503 within the generous timeout).
                let settings = fastSettings(maximumRetry: .milliseconds(300))
                let store = WebhookStore(client: client, settings: settings)
                let hook = try await store.create(tenant: "acme", url: "http://127.0.0.1:\(port)/hook/a", events: ["quota.exceeded"], secret: nil)
                try await withDeliveryServices(client: client, settings: settings) {
                    try await addAlert(client, tenant: "acme", type: "quota.exceeded", limit: "tokens_per_minute", threshold: nil)
                    try await waitUntil("dead letter") {
                        try await deliveries(store, tenant: "acme", webhook: hook.id).first?.status == .dead
                    }
                    let dead = try #require(try await deliveries(store, tenant: "acme", webhook: hook.id).first)
                    #expect(dead.attempts >= 1)
                    #expect(receiver.received.count == dead.attempts)
                    #expect(dead.lastStatusCode == 503)
                    #expect(dead.lastError == "HTTP 503")
                    #expect(dead.nextAttemptAt == nil)
                    let attemptsWhenDead = receiver.received.count
                    healthy.set()
                    let queued = try await store.retry(tenant: "acme", webhookID: hook.id, deliveryID: dead.id)
                    #expect(queued.status == .pending)
                    try await waitUntil("delivered after retry") {
                        try await deliveries(store, tenant: "acme", webhook: hook.id).first?.status == .delivered
                    }
                    #expect(receiver.received.count == attemptsWhenDead + 1)
                    await #expect(throws: WebhookError.self) {
                        _ = try await store.retry(tenant: "acme", webhookID: hook.id, deliveryID: dead.id)
                    }
                }
            }
        }
    }

    @Test func onlySubscribedTypesAreDeliveredAndDeletedWebhooksStop() async throws {
        try await withAlertsRedis { client in
            try await withReceiver { receiver, port in
                let store = WebhookStore(client: client, settings: fastSettings())
                let thresholds = try await store.create(tenant: "acme", url: "http://127.0.0.1:\(port)/hook/t", events: ["quota.threshold"], secret: nil)
                let both = try await store.create(
                    tenant: "acme", url: "http://127.0.0.1:\(port)/hook/b", events: ["quota.threshold", "quota.exceeded"], secret: nil
                )
                try await withDeliveryServices(client: client, settings: fastSettings()) {
                    try await addAlert(client, tenant: "acme", type: "quota.exceeded", threshold: nil)
                    try await addAlert(client, tenant: "acme", type: "quota.threshold")
                    try await waitUntil("three deliveries") { receiver.received.count >= 3 }
                    #expect(receiver.received.filter { $0.path == "/hook/t" }.count == 1)
                    #expect(receiver.received.filter { $0.path == "/hook/b" }.count == 2)
                    #expect(try await deliveries(store, tenant: "acme", webhook: thresholds.id).count == 1)
                    #expect(try await store.delete(tenant: "acme", id: both.id))
                    #expect(try await store.list(tenant: "acme").map(\.id) == [thresholds.id])
                    try await addAlert(client, tenant: "acme", type: "quota.threshold", event: "ev-2")
                    try await waitUntil("the fourth delivery") { receiver.received.count >= 4 }
                    #expect(receiver.received.last?.path == "/hook/t")
                }
            }
        }
    }
}
