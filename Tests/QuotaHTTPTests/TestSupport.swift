import EmbeddedRedis
import Foundation
import Hummingbird
import HummingbirdTesting
import QuotaHTTP
import QuotaStores
import QuotadServer
import Testing
import TokenQuota

/// The admin key of every test application.
let adminKey = "test-admin-key-0123456789"

/// Runs `body` with a quotad application over a private, throw-away redis-server.
func withQuotaApp(
    maxBodyBytes: Int = 1_048_576,
    failOpen: Bool = false,
    unpricedModels: UnpricedModelPolicy = .reject,
    _ body: @Sendable (QuotaApplication, RedisServer) async throws -> Void
) async throws {
    try await withRedisServer { server in
        var configuration = QuotadConfiguration()
        configuration.redisURL = server.url
        configuration.httpPort = 0
        configuration.adminKeys = [adminKey]
        configuration.maxBodyBytes = maxBodyBytes
        configuration.redisTimeoutMilliseconds = 500
        configuration.reservationsFailOpen = failOpen
        configuration.unpricedModels = unpricedModels
        let app = try await buildApplication(configuration: configuration)
        try await body(app, server)
    }
}

/// Headers with a bearer key (and JSON content type).
func auth(_ key: String?) -> HTTPFields {
    var headers = HTTPFields()
    headers[.contentType] = "application/json"
    if let key { headers[.authorization] = "Bearer \(key)" }
    return headers
}

/// A request body from a JSON string.
func json(_ text: String) -> ByteBuffer {
    ByteBuffer(string: text)
}

/// The response body as a JSON object (empty when it is not one).
func object(_ response: TestResponse) -> [String: Any] {
    let data = Data(response.body.readableBytesView)
    return ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any]) ?? [:]
}

/// The response body as text.
func text(_ response: TestResponse) -> String {
    String(buffer: response.body)
}

/// The `error.code` of an error response.
func errorCode(_ response: TestResponse) -> String? {
    (object(response)["error"] as? [String: Any])?["code"] as? String
}

/// Creates a tenant key through the API and returns (id, secret).
func createKey(_ client: some TestClientProtocol, tenant: String) async throws -> (id: String, key: String) {
    // Every scope (quota:write included): these tests exercise routes, not scopes (see KeyScopeTests).
    let scopes = #"{"scopes":["usage:write","reservations:write","usage:read","reports:read","quota:read","quota:write"]}"#
    return try await client.execute(uri: "/v1/tenants/\(tenant)/keys", method: .post, headers: auth(adminKey), body: json(scopes)) { response in
        #expect(response.status == .created)
        let body = object(response)
        let id = try #require(body["id"] as? String)
        let key = try #require(body["key"] as? String)
        return (id, key)
    }
}
