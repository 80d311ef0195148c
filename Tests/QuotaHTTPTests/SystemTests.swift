import EmbeddedRedis
import Foundation
import Hummingbird
import HummingbirdTesting
import AsyncRedis
import QuotaHTTP
import QuotaDashboard
import QuotadServer
import Testing

@Suite("System endpoints, errors and the OpenAPI document")
struct SystemTests {
    @Test func healthAndRequestID() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                try await client.execute(uri: "/healthz", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[RequestIDMiddleware.header]?.isEmpty == false)
                }
                var headers = HTTPFields()
                headers[RequestIDMiddleware.header] = "my-request-42"
                try await client.execute(uri: "/healthz", method: .get, headers: headers) { response in
                    #expect(response.headers[RequestIDMiddleware.header] == "my-request-42")
                }
                try await client.execute(uri: "/readyz", method: .get) { response in
                    #expect(response.status == .ok)
                }
                try await client.execute(uri: "/metrics", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(text(response).contains("redis_commands_total"))
                }
            }
        }
    }

    @Test func unknownRouteAndMethodAreJSONErrors() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                try await client.execute(uri: "/nope", method: .get) { response in
                    #expect(response.status == .notFound)
                    #expect(errorCode(response) == "not_found")
                    #expect(response.headers[RequestIDMiddleware.header] != nil)
                }
                try await client.execute(uri: "/healthz", method: .delete) { response in
                    #expect(response.status == .methodNotAllowed)
                    #expect(errorCode(response) == "method_not_allowed")
                    #expect(response.headers[.allow] == "GET")
                }
            }
        }
    }

    @Test func malformedBodiesAre400AndOversizedIs413() async throws {
        try await withQuotaApp(maxBodyBytes: 4096) { app, _ in
            try await app.test(.router) { client in
                let cases = [
                    "{\"user\":",  // malformed
                    "[1,2]",  // wrong top-level type
                    "{\"user\":5,\"event_id\":\"e\",\"usage\":{}}",  // wrong type
                    "{\"event_id\":\"e\",\"usage\":{\"input_tokens\":\"x\"}}",  // wrong nested type
                    "{\"user\":\"u\",\"event_id\":\"e\"}",  // neither response nor usage
                    "{\"user\":\"u\",\"event_id\":\"e\",\"usage\":{},\"response\":{}}",  // both
                    "",  // empty
                ]
                for body in cases {
                    try await client.execute(uri: "/v1/tenants/t1/usage", method: .post, headers: auth(adminKey), body: json(body)) { response in
                        #expect(response.status == .badRequest, "body: \(body)")
                        #expect(errorCode(response) == "invalid_request", "body: \(body)")
                    }
                }
                let large = "{\"user\":\"u\",\"event_id\":\"e\",\"metadata\":{\"x\":\"" + String(repeating: "a", count: 10_000) + "\"}}"
                try await client.execute(uri: "/v1/tenants/t1/usage", method: .post, headers: auth(adminKey), body: json(large)) { response in
                    #expect(response.status == .contentTooLarge)
                    #expect(errorCode(response) == "payload_too_large")
                }
                try await client.execute(
                    uri: "/v1/tenants/t1/usage", method: .post, headers: auth(adminKey),
                    body: json("{\"user\":\"u\",\"event_id\":\"e\",\"provider\":\"openai\",\"response\":{\"id\":\"x\"}}")
                ) { response in
                    #expect(response.status == .unprocessableContent)
                    #expect(errorCode(response) == "unparsable_usage")
                }
                try await client.execute(uri: "/v1/tenants/bad%7Bname/usage", method: .post, headers: auth(adminKey), body: json("{}")) { response in
                    #expect(response.status == .badRequest)
                }
            }
        }
    }

    @Test func openAPIDocumentMatchesTheRouter() async throws {
        try await withRedisServer { server in
            var configuration = QuotadConfiguration()
            configuration.redisURL = server.url
            let (dependencies, redis, _) = try await buildDependencies(configuration: configuration)
            // The dashboard's routes are HTML pages, not API operations: the OpenAPI document leaves them out.
            let routes = buildRouter(dependencies).routes.filter { !DashboardController.isDashboardPath($0.path.description) }
            let routed = Set(routes.map { "\($0.method.rawValue) \($0.path.description)" })
            await redis.shutdown()
            let documented = try OpenAPIDocument.operations()
            #expect(routed.count >= 20)
            #expect(documented.subtracting(routed).isEmpty, "documented but not routed: \(documented.subtracting(routed).sorted())")
            #expect(routed.subtracting(documented).isEmpty, "routed but not documented: \(routed.subtracting(documented).sorted())")
        }
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                try await client.execute(uri: "/openapi.yaml", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(text(response).hasPrefix("openapi: 3.1"))
                }
            }
        }
    }

    @Test func liveServerAnswersOverTCP() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.live) { client in
                try await client.execute(uri: "/healthz", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[RequestIDMiddleware.header] != nil)
                }
                let key = try await createKey(client, tenant: "live")
                try await client.execute(uri: "/v1/tenants/live/keys", method: .get, headers: auth(key.key)) { response in
                    #expect(response.status == .ok)
                    #expect(!text(response).contains(key.key))
                }
                try await client.execute(uri: "/v1/tenants/live/usage", method: .post, headers: auth(key.key), body: json("{oops")) { response in
                    #expect(response.status == .badRequest)
                    #expect(errorCode(response) == "invalid_request")
                }
            }
        }
    }

    @Test func decimalUSDIsExact() {
        #expect(DecimalUSD.nanoUSD(from: "12.50") == 12_500_000_000)
        #expect(DecimalUSD.nanoUSD(from: "0.000000001") == 1)
        #expect(DecimalUSD.nanoUSD(from: "7") == 7_000_000_000)
        #expect(DecimalUSD.nanoUSD(from: "0.0000000001") == nil)
        #expect(DecimalUSD.nanoUSD(from: "-1") == nil)
        #expect(DecimalUSD.nanoUSD(from: "1e3") == nil)
        #expect(DecimalUSD.nanoUSD(from: "1.") == nil)
        #expect(DecimalUSD.nanoUSD(from: "99999999999") == nil)
        #expect(DecimalUSD.string(fromNanoUSD: 12_500_000_000) == "12.50")
        #expect(DecimalUSD.string(fromNanoUSD: 1) == "0.000000001")
    }

    @Test func shippedConfigurationFileIsValidAndHoldsTheDefaults() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../config/quotad.yaml").path
        let loaded = try QuotadConfiguration.load(path: path, environment: [:])
        let defaults = QuotadConfiguration()
        #expect(loaded.httpHost == defaults.httpHost && loaded.httpPort == defaults.httpPort)
        #expect(loaded.redisURL == nil)
        #expect(loaded.maxBodyBytes == defaults.maxBodyBytes)
        #expect(loaded.settingsPollMilliseconds == defaults.settingsPollMilliseconds)
        #expect(throws: ConfigurationError.self) { try QuotadConfiguration.load(path: "/nonexistent/quotad.yaml", environment: [:]) }
    }

    @Test func configurationLayersFileThenEnvironment() throws {
        var configuration = QuotadConfiguration()
        try configuration.apply(yaml: """
            http:
              port: 9000
              max_body_bytes: 2048
            redis:
              url: redis://127.0.0.1:7000
            reservations:
              fail_open: true
            """)
        try configuration.apply(environment: ["QUOTAD_HTTP_PORT": "9100", "QUOTAD_ADMIN_KEYS": "aaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbb"])
        try configuration.validate()
        #expect(configuration.httpPort == 9100)
        #expect(configuration.maxBodyBytes == 2048)
        #expect(configuration.redisURL == "redis://127.0.0.1:7000")
        #expect(configuration.reservationsFailOpen)
        #expect(configuration.adminKeys == ["aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"])
        #expect(throws: ConfigurationError.self) { try configuration.apply(environment: ["QUOTAD_HTTP_PORT": "x"]) }
        #expect(!configuration.redactedSummary.contains("aaaaaaaaaaaaaaaa"))
    }
}
