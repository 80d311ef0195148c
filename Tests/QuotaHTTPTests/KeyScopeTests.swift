import Foundation
import Hummingbird
import HummingbirdTesting
import QuotaHTTP
import QuotaStores
import Testing

/// Tenant keys have scopes: a key handed to an application cannot lift its own caps.
@Suite("Key scopes")
struct KeyScopeTests {
    func create(_ client: some TestClientProtocol, scopes: String?) async throws -> (status: HTTPResponse.Status, key: String?, body: [String: Any]) {
        let body = scopes.map { json(#"{"scopes":\#($0)}"#) }
        return try await client.execute(uri: "/v1/tenants/acme/keys", method: .post, headers: auth(adminKey), body: body) { response in
            (response.status, object(response)["key"] as? String, object(response))
        }
    }

    @Test func aDefaultKeyRecordsAndReadsButCannotChangeQuotas() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let created = try await create(client, scopes: nil)
                #expect(created.status == .created)
                #expect(created.body["scopes"] as? [String] == ["quota:read", "reports:read", "reservations:write", "usage:read", "usage:write"])
                let key = try #require(created.key)
                try await client.execute(uri: "/v1/tenants/acme/users/a/quota", method: .put, headers: auth(key), body: json(#"{"limits":{"tokens":null}}"#)) {
                    #expect($0.status == .forbidden)
                    #expect(errorCode($0) == "forbidden")
                }
                try await client.execute(uri: "/v1/tenants/acme/quota/default", method: .put, headers: auth(key), body: json(#"{"limits":{"tokens":null}}"#)) {
                    #expect($0.status == .forbidden)
                }
                let usage = #"{"user":"a","event_id":"e1","model":"gpt-4o","usage":{"input_tokens":1}}"#
                try await client.execute(uri: "/v1/tenants/acme/usage", method: .post, headers: auth(key), body: json(usage)) {
                    #expect($0.status == .ok)
                }
                try await client.execute(uri: "/v1/tenants/acme/users/a/quota", method: .get, headers: auth(key)) {
                    #expect($0.status == .ok)
                }
            }
        }
    }

    @Test func scopesAreEnforcedPerRoute() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let reader = try #require(try await create(client, scopes: #"["usage:read"]"#).key)
                let usage = #"{"user":"a","event_id":"e1","model":"gpt-4o","usage":{"input_tokens":1}}"#
                try await client.execute(uri: "/v1/tenants/acme/usage", method: .post, headers: auth(reader), body: json(usage)) {
                    #expect($0.status == .forbidden)
                }
                try await client.execute(uri: "/v1/tenants/acme/users/a/usage", method: .get, headers: auth(reader)) {
                    #expect($0.status == .ok)
                }
                try await client.execute(uri: "/v1/tenants/acme/reports/usage", method: .get, headers: auth(reader)) {
                    #expect($0.status == .forbidden)
                }
                let writer = try #require(try await create(client, scopes: #"["quota:write","quota:read"]"#).key)
                try await client.execute(uri: "/v1/tenants/acme/users/a/quota", method: .put, headers: auth(writer), body: json(#"{"limits":{"tokens":5}}"#)) {
                    #expect($0.status == .ok)
                }
            }
        }
    }

    @Test func unknownOrEmptyScopesAreRefused() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                #expect(try await create(client, scopes: #"["usage:write","root"]"#).status == .badRequest)
                #expect(try await create(client, scopes: "[]").status == .badRequest)
                try await client.execute(uri: "/v1/tenants/acme/keys", method: .post, headers: auth(adminKey), body: json(#"{"scope":["usage:write"]}"#)) {
                    #expect($0.status == .badRequest)
                }
            }
        }
    }
}
