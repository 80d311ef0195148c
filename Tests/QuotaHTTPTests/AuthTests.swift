import Foundation
import Hummingbird
import HummingbirdTesting
import QuotaHTTP
import Testing

@Suite("Authentication and authorization")
struct AuthTests {
    static let publicRoutes: Set<String> = ["GET /healthz", "GET /readyz", "GET /metrics", "GET /openapi.yaml"]
    static let adminRoutes: Set<String> = [
        "POST /v1/tenants/{tenant}/keys", "DELETE /v1/tenants/{tenant}/keys/{id}",
        "GET /v1/settings/metrics", "PATCH /v1/settings/metrics",
    ]

    static func method(_ name: String) -> HTTPRequest.Method {
        HTTPRequest.Method(name) ?? .get
    }

    static func concrete(_ path: String) -> String {
        path.replacingOccurrences(of: "{tenant}", with: "t1")
            .replacingOccurrences(of: "{user}", with: "u1")
            .replacingOccurrences(of: "{id}", with: "r1")
    }

    @Test func everyProtectedRouteRejectsMissingRevokedAndForeignKeys() async throws {
        let operations = try OpenAPIDocument.operations().subtracting(Self.publicRoutes).sorted()
        #expect(operations.count >= 17)
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let revoked = try await createKey(client, tenant: "t1")
                try await client.execute(uri: "/v1/tenants/t1/keys/\(revoked.id)", method: .delete, headers: auth(adminKey)) { response in
                    #expect(response.status == .noContent)
                }
                let own = try await createKey(client, tenant: "t1")
                let foreign = try await createKey(client, tenant: "t2")
                for operation in operations {
                    let parts = operation.split(separator: " ", maxSplits: 1).map(String.init)
                    let method = Self.method(parts[0])
                    let uri = Self.concrete(parts[1])
                    let body: ByteBuffer? = (method == .get || method == .delete) ? nil : json("{}")
                    for (label, key) in [("missing", nil), ("garbage", "qk_garbage"), ("revoked", revoked.key)] as [(String, String?)] {
                        try await client.execute(uri: uri, method: method, headers: auth(key), body: body) { response in
                            #expect(response.status == .unauthorized, "\(operation) with \(label) key")
                            #expect(errorCode(response) == "unauthorized", "\(operation) with \(label) key")
                        }
                    }
                    try await client.execute(uri: uri, method: method, headers: auth(foreign.key), body: body) { response in
                        #expect(response.status == .forbidden, "\(operation) with another tenant's key")
                        #expect(errorCode(response) == "forbidden")
                    }
                    if Self.adminRoutes.contains(operation) {
                        try await client.execute(uri: uri, method: method, headers: auth(own.key), body: body) { response in
                            #expect(response.status == .forbidden, "\(operation) (admin only) with the tenant's key")
                        }
                    }
                }
            }
        }
    }

    @Test func keysAreListedWithoutSecretsAndRevocationTakesEffect() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let first = try await createKey(client, tenant: "acme")
                let second = try await createKey(client, tenant: "acme")
                #expect(first.key.hasPrefix("qk_"))
                #expect(first.key != second.key)
                try await client.execute(uri: "/v1/tenants/acme/keys", method: .get, headers: auth(first.key)) { response in
                    #expect(response.status == .ok)
                    let body = text(response)
                    #expect(!body.contains(first.key) && !body.contains(second.key))
                    let keys = (object(response)["keys"] as? [[String: Any]]) ?? []
                    #expect(Set(keys.compactMap { $0["id"] as? String }) == [first.id, second.id])
                }
                try await client.execute(uri: "/v1/tenants/acme/keys/\(first.id)", method: .delete, headers: auth(adminKey)) { response in
                    #expect(response.status == .noContent)
                }
                try await client.execute(uri: "/v1/tenants/acme/keys", method: .get, headers: auth(first.key)) { response in
                    #expect(response.status == .unauthorized)
                }
                try await client.execute(uri: "/v1/tenants/acme/keys", method: .get, headers: auth(second.key)) { response in
                    #expect(response.status == .ok)
                }
                try await client.execute(uri: "/v1/tenants/acme/keys/\(first.id)", method: .delete, headers: auth(adminKey)) { response in
                    #expect(response.status == .notFound)
                    #expect(errorCode(response) == "not_found")
                }
                // A tenant key cannot create keys, not even for itself.
                try await client.execute(uri: "/v1/tenants/acme/keys", method: .post, headers: auth(second.key)) { response in
                    #expect(response.status == .forbidden)
                }
            }
        }
    }

    @Test func settingsAreAdminOnlyAndPersisted() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                try await client.execute(uri: "/v1/settings/metrics", method: .get, headers: auth(adminKey)) { response in
                    #expect(response.status == .ok)
                    #expect(object(response)["enabled"] as? Bool == true)
                    #expect(object(response)["token_statistics"] as? Bool == true)
                }
                try await client.execute(
                    uri: "/v1/settings/metrics", method: .patch, headers: auth(adminKey), body: json("{\"token_statistics\":false}")
                ) { response in
                    #expect(response.status == .ok)
                    #expect(object(response)["enabled"] as? Bool == true)
                    #expect(object(response)["token_statistics"] as? Bool == false)
                }
                try await client.execute(uri: "/v1/settings/metrics", method: .patch, headers: auth(adminKey), body: json("{}")) { response in
                    #expect(response.status == .badRequest)
                }
                try await client.execute(
                    uri: "/v1/settings/metrics", method: .patch, headers: auth(adminKey), body: json("{\"enabled\":\"no\"}")
                ) { response in
                    #expect(response.status == .badRequest)
                }
                try await client.execute(uri: "/v1/settings/metrics", method: .get, headers: auth(adminKey)) { response in
                    #expect(object(response)["token_statistics"] as? Bool == false)
                }
            }
        }
    }

    /// `enabled=false` governs statistics, never enforcement: the event still counts for limits.
    @Test func recordingDisabledStillCountsForLimits() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                try await client.execute(uri: "/v1/settings/metrics", method: .patch, headers: auth(adminKey), body: json("{\"enabled\":false}")) {
                    #expect($0.status == .ok)
                }
                let quota = "{\"limits\":{\"tokens\":20}}"
                try await client.execute(uri: "/v1/tenants/t1/users/u1/quota", method: .put, headers: auth(adminKey), body: json(quota)) {
                    #expect($0.status == .ok)
                }
                let event = "{\"user\":\"u1\",\"event_id\":\"ev-1\",\"model\":\"gpt-4o\",\"usage\":{\"input_tokens\":10,\"output_tokens\":15}}"
                try await client.execute(uri: "/v1/tenants/t1/usage", method: .post, headers: auth(adminKey), body: json(event)) { response in
                    #expect(response.status == .ok)
                    let body = object(response)
                    #expect(body["recorded"] as? Bool == true)
                    #expect(body["over_limit"] as? [String] == ["user"])
                    #expect((body["totals"] as? [String: Any])?["input_tokens"] as? Int == 10)
                }
                let reserve = "{\"user\":\"u1\",\"model\":\"gpt-4o\",\"input_tokens\":1}"
                try await client.execute(uri: "/v1/tenants/t1/reservations", method: .post, headers: auth(adminKey), body: json(reserve)) { response in
                    #expect(response.status == .tooManyRequests)
                }
                try await client.execute(uri: "/v1/tenants/t1/users/u1/usage", method: .get, headers: auth(adminKey)) { response in
                    // Statistics are off: no per-model breakdown.
                    #expect((object(response)["models"] as? [String: Any])?.isEmpty == true)
                }
            }
        }
    }
}
