import AsyncRedis
import EmbeddedRedis
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import QuotaHTTP
import QuotadServer
import Testing

/// The webhooks API: registration with strict validation, listing without secrets, deletion, deliveries
/// and their retry.
@Suite("Webhooks HTTP")
struct WebhooksHTTPTests {
    /// An application whose webhooks may target loopback (the receivers of these tests).
    func withWebhookApp(
        allowPrivateTargets: Bool = true, _ body: @Sendable (QuotaApplication, RedisServer) async throws -> Void
    ) async throws {
        try await withRedisServer { server in
            var configuration = QuotadConfiguration()
            configuration.redisURL = server.url
            configuration.httpPort = 0
            configuration.adminKeys = [adminKey]
            configuration.redisTimeoutMilliseconds = 2000
            configuration.webhookAllowPrivateTargets = allowPrivateTargets
            configuration.webhookPollMilliseconds = 20
            configuration.webhookTimeoutMilliseconds = 500
            configuration.webhookInitialBackoffMilliseconds = 60_000
            configuration.webhookMaximumBackoffMilliseconds = 60_000
            let app = try await buildApplication(configuration: configuration)
            try await body(app, server)
        }
    }

    func register(_ client: some TestClientProtocol, _ body: String, key: String = adminKey) async throws -> (HTTPResponse.Status, [String: Any]) {
        try await client.execute(uri: "/v1/tenants/acme/webhooks", method: .post, headers: auth(key), body: json(body)) { response in
            (response.status, object(response))
        }
    }

    func message(_ body: [String: Any]) -> String {
        ((body["error"] as? [String: Any])?["message"] as? String) ?? ""
    }

    @Test func invalidRegistrationsAreClear400s() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let cases: [(String, String)] = [
                    (#"{"events":["quota.threshold"]}"#, "missing field 'url'"),
                    (#"{"url":"https://93.184.216.34/hook"}"#, "missing field 'events'"),
                    (#"{"url":"ftp://93.184.216.34/hook","events":["quota.threshold"]}"#, "absolute http:// or https://"),
                    (#"{"url":"/relative","events":["quota.threshold"]}"#, "absolute http:// or https://"),
                    (#"{"url":"https://93.184.216.34/hook","events":[]}"#, "at least one of quota.threshold, quota.exceeded"),
                    (#"{"url":"https://93.184.216.34/hook","events":["quota.thresold"]}"#, "unknown event 'quota.thresold'"),
                    (#"{"url":"https://93.184.216.34/hook","events":["quota.threshold"],"secret":"hunter2"}"#, "whsec_"),
                    (#"{"url":"https://93.184.216.34/hook","events":["quota.threshold"],"sekret":"x"}"#, "sekret"),
                    (#"{"url":"http://127.0.0.1:8080/hook","events":["quota.threshold"]}"#, "webhooks.allow_private_targets"),
                    (#"{"url":"http://10.0.0.7/hook","events":["quota.exceeded"]}"#, "webhooks.allow_private_targets"),
                    (#"{"url":"http://[::1]/hook","events":["quota.exceeded"]}"#, "webhooks.allow_private_targets"),
                    (#"{"url":"https://user:pw@93.184.216.34/hook","events":["quota.exceeded"]}"#, "credentials"),
                ]
                for (body, expected) in cases {
                    let (status, answer) = try await register(client, body)
                    #expect(status == .badRequest, "\(body)")
                    #expect((answer["error"] as? [String: Any])?["code"] as? String == "invalid_request")
                    #expect(message(answer).contains(expected), "\(body): \(message(answer))")
                }
                // A public address literal is accepted without private targets.
                let (status, created) = try await register(client, #"{"url":"https://93.184.216.34/hook","events":["quota.threshold"]}"#)
                #expect(status == .created)
                #expect((created["secret"] as? String)?.hasPrefix("whsec_") == true)
            }
        }
    }

    @Test func registerListDeleteAndTheSecretIsShownOnce() async throws {
        try await withWebhookApp { app, _ in
            try await app.test(.router) { client in
                let secret = "whsec_" + Data(repeating: 7, count: 32).base64EncodedString()
                let (status, created) = try await register(
                    client, #"{"url":"http://127.0.0.1:9/hook","events":["quota.threshold","quota.exceeded","quota.threshold"],"secret":"\#(secret)"}"#
                )
                #expect(status == .created)
                #expect(created["secret"] as? String == secret)
                #expect(created["events"] as? [String] == ["quota.threshold", "quota.exceeded"])
                let id = try #require(created["id"] as? String)
                let (_, generated) = try await register(client, #"{"url":"http://127.0.0.1:9/other","events":["quota.exceeded"]}"#)
                let generatedSecret = try #require(generated["secret"] as? String)
                #expect(generatedSecret.hasPrefix("whsec_"))
                #expect(Data(base64Encoded: String(generatedSecret.dropFirst(6)))?.count == 32)
                try await client.execute(uri: "/v1/tenants/acme/webhooks", method: .get, headers: auth(adminKey)) { response in
                    #expect(response.status == .ok)
                    let hooks = try #require(object(response)["webhooks"] as? [[String: Any]])
                    #expect(hooks.count == 2)
                    #expect(hooks.allSatisfy { $0["secret"] == nil })
                    #expect(!text(response).contains("whsec_"))
                }
                try await client.execute(uri: "/v1/tenants/acme/webhooks/\(id)", method: .delete, headers: auth(adminKey)) {
                    #expect($0.status == .noContent)
                }
                try await client.execute(uri: "/v1/tenants/acme/webhooks/\(id)", method: .delete, headers: auth(adminKey)) {
                    #expect($0.status == .notFound)
                }
                try await client.execute(uri: "/v1/tenants/acme/webhooks/\(id)/deliveries", method: .get, headers: auth(adminKey)) {
                    #expect($0.status == .notFound)
                }
                try await client.execute(uri: "/v1/tenants/acme/webhooks/wh_nope/deliveries/1-0.wh_nope/retry", method: .post, headers: auth(adminKey)) {
                    #expect($0.status == .notFound)
                }
            }
        }
    }

    @Test func atMostTwentyWebhooksPerTenant() async throws {
        try await withWebhookApp { app, _ in
            try await app.test(.router) { client in
                for index in 0..<20 {
                    let (status, _) = try await register(client, #"{"url":"http://127.0.0.1:9/\#(index)","events":["quota.threshold"]}"#)
                    #expect(status == .created)
                }
                let (status, body) = try await register(client, #"{"url":"http://127.0.0.1:9/21","events":["quota.threshold"]}"#)
                #expect(status == .badRequest)
                #expect(message(body).contains("20 webhooks"))
                // Another tenant is not affected.
                try await client.execute(
                    uri: "/v1/tenants/other/webhooks", method: .post, headers: auth(adminKey),
                    body: json(#"{"url":"http://127.0.0.1:9/x","events":["quota.threshold"]}"#)
                ) { #expect($0.status == .created) }
            }
        }
    }

    @Test func managementNeedsQuotaWrite() async throws {
        try await withWebhookApp { app, _ in
            try await app.test(.router) { client in
                let readOnly = try await client.execute(
                    uri: "/v1/tenants/acme/keys", method: .post, headers: auth(adminKey), body: json(#"{"scopes":["quota:read"]}"#)
                ) { try #require(object($0)["key"] as? String) }
                let (status, _) = try await register(client, #"{"url":"http://127.0.0.1:9/a","events":["quota.threshold"]}"#, key: readOnly)
                #expect(status == .forbidden)
                try await client.execute(uri: "/v1/tenants/acme/webhooks", method: .get, headers: auth(readOnly)) { #expect($0.status == .ok) }
                let full = try await createKey(client, tenant: "acme")
                let (created, _) = try await register(client, #"{"url":"http://127.0.0.1:9/a","events":["quota.threshold"]}"#, key: full.key)
                #expect(created == .created)
                let other = try await createKey(client, tenant: "other")
                try await client.execute(uri: "/v1/tenants/acme/webhooks", method: .get, headers: auth(other.key)) { #expect($0.status == .forbidden) }
                try await client.execute(uri: "/v1/tenants/acme/webhooks", method: .get, headers: auth(nil)) { #expect($0.status == .unauthorized) }
            }
        }
    }

    /// With the delivery service running: an alert to an unreachable endpoint shows up as a pending
    /// delivery with its error, and the retry endpoint queues it now.
    @Test func deliveriesAreListedAndRetried() async throws {
        try await withWebhookApp { app, server in
            try await app.test(.live) { client in
                let (_, created) = try await register(client, #"{"url":"http://127.0.0.1:9/hook","events":["quota.threshold"]}"#)
                let id = try #require(created["id"] as? String)
                let redis = RedisClient(configuration: try RedisConfiguration(url: server.url), logger: Logger(label: "test.redis"))
                try await redis.waitUntilConnected(timeout: .seconds(5))
                let streamID = try await redis.send(
                    "XADD", "q:{acme}:al", "*", "type", "quota.threshold", "level", "user", "subject", "u1", "user", "u1", "group", "",
                    "limit", "tokens", "threshold", "50", "used", "500", "value", "1000", "cycle", "2026-11", "at", "1795000000000", "event", "e1"
                ).text
                await redis.shutdown()
                var delivery: [String: Any] = [:]
                let deadline = ContinuousClock.now + .seconds(20)
                while ContinuousClock.now < deadline {
                    delivery = try await client.execute(uri: "/v1/tenants/acme/webhooks/\(id)/deliveries", method: .get, headers: auth(adminKey)) {
                        (object($0)["deliveries"] as? [[String: Any]])?.first ?? [:]
                    }
                    if (delivery["attempts"] as? Int ?? 0) >= 1 { break }
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(delivery["status"] as? String == "pending")
                #expect(delivery["attempts"] as? Int == 1)
                #expect(delivery["message_id"] as? String == "msg_" + (streamID ?? ""))
                #expect(delivery["type"] as? String == "quota.threshold")
                #expect(delivery["last_error"] is String)
                #expect(delivery["next_attempt_at"] is String)
                let deliveryID = try #require(delivery["id"] as? String)
                try await client.execute(
                    uri: "/v1/tenants/acme/webhooks/\(id)/deliveries/\(deliveryID)/retry", method: .post, headers: auth(adminKey)
                ) { response in
                    #expect(response.status == .accepted)
                    #expect(object(response)["status"] as? String == "pending")
                }
            }
        }
    }
}
