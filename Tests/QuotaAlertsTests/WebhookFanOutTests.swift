import AsyncRedis
import Foundation
@testable import QuotaAlerts
import Testing

@Suite("Alert fan-out: exactly once across consumers")
struct WebhookFanOutTests {
    /// Two delivery services (two consumers of the `webhooks` group) on one Redis: every alert becomes
    /// exactly one delivery per webhook, and each receiver sees each alert — at least once: an attempt that
    /// reached the receiver but outlived the timeout (a loaded machine) is attempted again, and only then.
    @Test func twoServicesFanOutEachAlertExactlyOnce() async throws {
        let settings = fastSettings()
        try await withAlertsRedis { client in
            try await withReceiver { receiver, port in
                let store = WebhookStore(client: client, settings: settings)
                let first = try await store.create(tenant: "acme", url: "http://127.0.0.1:\(port)/hook/one", events: ["quota.threshold"], secret: nil)
                let second = try await store.create(
                    tenant: "acme", url: "http://127.0.0.1:\(port)/hook/two", events: ["quota.threshold", "quota.exceeded"], secret: nil
                )
                let alerts = 300
                let ids = try await withDeliveryServices(client: client, settings: settings, consumers: ["one", "two"]) {
                    var ids: [String] = []
                    for index in 0..<alerts { ids.append(try await addAlert(client, tenant: "acme", event: "ev-\(index)")) }
                    try await waitUntil("every delivery", timeout: .seconds(60)) { receiver.received.count >= 2 * alerts }
                    try await waitUntil("every delivery recorded", timeout: .seconds(60)) {
                        try await client.send("ZCARD", WebhookKeys(tenant: "acme").queue).int == 0
                    }
                    return ids
                }
                let received = receiver.received
                let deliveryKeys = try await client.send("KEYS", "q:{acme}:wd:*").array?.compactMap(\.text) ?? []
                #expect(deliveryKeys.count == 2 * alerts)
                for (hook, path) in [(first, "/hook/one"), (second, "/hook/two")] {
                    let messages = received.filter { $0.path == path }.map(\.id)
                    #expect(Set(messages) == Set(ids.map { "msg_" + $0 }))
                    // Repeats only where the delivery records more than one attempt.
                    var repeats = 0
                    for key in deliveryKeys where key.hasSuffix("." + hook.id) {
                        repeats += max(0, (try await client.send("HGET", key, "n").text.flatMap { Int($0) } ?? 1) - 1)
                    }
                    #expect(messages.count >= alerts)
                    #expect(messages.count - alerts <= repeats)
                }
                for hook in [first, second] {
                    #expect(try await deliveries(store, tenant: "acme", webhook: hook.id).allSatisfy { $0.status == .delivered })
                }
                let pending = try await client.send("XPENDING", WebhookKeys(tenant: "acme").alerts, "webhooks").array?.first?.int
                #expect(pending == 0)
            }
        }
    }

    /// The fan-out script itself, run by many callers at once on the same pending alerts: the alert's
    /// acknowledgement decides, so the deliveries are created once.
    @Test func concurrentFanOutCallsCreateEachDeliveryOnce() async throws {
        try await withAlertsRedis { client in
            let settings = fastSettings()
            let store = WebhookStore(client: client, settings: settings)
            _ = try await store.create(tenant: "acme", url: "http://127.0.0.1:9/hook/a", events: ["quota.threshold"], secret: nil)
            _ = try await store.create(tenant: "acme", url: "http://127.0.0.1:9/hook/b", events: ["quota.threshold"], secret: nil)
            let keys = WebhookKeys(tenant: "acme")
            var ids: [String] = []
            for index in 0..<50 { ids.append(try await addAlert(client, tenant: "acme", event: "ev-\(index)")) }
            _ = try await client.send("XREADGROUP", "GROUP", "webhooks", "reader", "COUNT", 1000, "STREAMS", keys.alerts, ">")
            let arguments: [any RedisArgument] = [keys.prefix, 3600, 100] + ids
            let created = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        try await client.evaluate(WebhookScripts.fanOut, keys: [keys.alerts, keys.webhooks, keys.queue], arguments: arguments).int ?? -1
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(created == 100)
            #expect(try await client.send("ZCARD", keys.queue).int == 100)
        }
    }

    /// Alerts read by a consumer that died before fanning them out are claimed by a live one once idle.
    @Test func alertsOfADeadConsumerAreTakenOver() async throws {
        try await withAlertsRedis { client in
            try await withReceiver { receiver, port in
                var settings = fastSettings()
                settings.abandonedAlertIdle = .milliseconds(300)
                let store = WebhookStore(client: client, settings: settings)
                _ = try await store.create(tenant: "acme", url: "http://127.0.0.1:\(port)/hook/a", events: ["quota.threshold"], secret: nil)
                let keys = WebhookKeys(tenant: "acme")
                var ids: [String] = []
                for index in 0..<5 { ids.append(try await addAlert(client, tenant: "acme", event: "ev-\(index)")) }
                // A consumer reads them and "crashes": they stay pending in its name.
                let read = try await client.send("XREADGROUP", "GROUP", "webhooks", "ghost", "COUNT", 100, "STREAMS", keys.alerts, ">")
                #expect(read.array?.first?.array?[1].array?.count == 5)
                try await withDeliveryServices(client: client, settings: settings) {
                    try await waitUntil("the abandoned alerts") { receiver.received.count >= 5 }
                }
                #expect(Set(receiver.received.map(\.id)) == Set(ids.map { "msg_" + $0 }))
                #expect(receiver.received.count == 5)
            }
        }
    }
}
