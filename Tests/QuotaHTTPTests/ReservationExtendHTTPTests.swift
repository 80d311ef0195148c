import Foundation
import Hummingbird
import HummingbirdTesting
import QuotaHTTP
import Testing

/// `POST …/reservations/{id}/extend`: holds more for a call under way at every level at once, or refuses
/// with the limit and changes nothing; moves the expiry; only a held reservation can be extended.
@Suite("Reservation extension over HTTP")
struct ReservationExtendHTTPTests {
    private func reserved(_ client: some TestClientProtocol, _ key: String, _ user: String) async throws -> [String: Any] {
        try await client.execute(uri: "/v1/tenants/acme/users/\(user)/usage", method: .get, headers: auth(key)) { response in
            object(response)["reserved"] as? [String: Any] ?? [:]
        }
    }

    @Test func anExtensionHoldsMoreUntilALimitRefusesItAndThenChangesNothing() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let key = try await createKey(client, tenant: "acme").key
                try await client.execute(uri: "/v1/tenants/acme/users/alice/quota", method: .put, headers: auth(adminKey),
                                         body: json(#"{"limits":{"tokens":1000,"cost_usd":"1"}}"#)) { #expect($0.status == .ok) }
                let reserve = #"{"user":"alice","model":"gpt-4o","input_tokens":100,"max_output_tokens":100,"reservation_id":"s1"}"#
                let (id, cost, expires) = try await client.execute(uri: "/v1/tenants/acme/reservations", method: .post, headers: auth(key), body: json(reserve)) { response in
                    #expect(response.status == .created)
                    let body = object(response)
                    return (body["reservation_id"] as? String ?? "", (body["reserved"] as? [String: Any])?["cost_nano_usd"] as? Int ?? -1,
                            body["expires_at"] as? String ?? "")
                }
                #expect(id == "res:alice:s1" && cost > 0)
                // 500 more output tokens at gpt-4o's output price ($10 / 1M): 5,000,000 nano-USD more
                try await client.execute(uri: "/v1/tenants/acme/reservations/\(id)/extend", method: .post, headers: auth(key),
                                         body: json(#"{"add_output_tokens":500}"#)) { response in
                    #expect(response.status == .ok, "\(String(buffer: response.body))")
                    let held = object(response)["reserved"] as? [String: Any]
                    #expect(held?["tokens"] as? Int == 700)
                    #expect(held?["cost_nano_usd"] as? Int == cost + 5_000_000)
                    #expect(object(response)["model"] as? String == "gpt-4o")
                }
                #expect(try await reserved(client, key, "alice")["tokens"] as? Int == 700)
                // 400 more would hold 1,100 of the user's 1,000 tokens: refused, naming the limit; still 700
                try await client.execute(uri: "/v1/tenants/acme/reservations/\(id)/extend", method: .post, headers: auth(key),
                                         body: json(#"{"add_output_tokens":400}"#)) { response in
                    #expect(response.status == .tooManyRequests)
                    let error = object(response)["error"] as? [String: Any]
                    #expect(error?["code"] as? String == "quota_exceeded", "\(String(buffer: response.body))")
                    #expect("\(error ?? [:])".contains("tokens"))
                }
                #expect(try await reserved(client, key, "alice")["tokens"] as? Int == 700)
                // a new expiry only
                try await client.execute(uri: "/v1/tenants/acme/reservations/\(id)/extend", method: .post, headers: auth(key),
                                         body: json(#"{"ttl_seconds":3000}"#)) { response in
                    #expect(response.status == .ok)
                    #expect((object(response)["expires_at"] as? String ?? "") > expires)
                    #expect((object(response)["reserved"] as? [String: Any])?["tokens"] as? Int == 700)
                }
                // the commit settles the whole hold
                try await client.execute(uri: "/v1/tenants/acme/reservations/\(id)/commit", method: .post, headers: auth(key),
                                         body: json(#"{"usage":{"input_tokens":100,"output_tokens":550}}"#)) { #expect($0.status == .ok) }
                let after = try await reserved(client, key, "alice")
                #expect(after["tokens"] as? Int == 0 && after["cost_nano_usd"] as? Int == 0, "\(after)")
                try await client.execute(uri: "/v1/tenants/acme/reservations/\(id)/extend", method: .post, headers: auth(key),
                                         body: json(#"{"add_output_tokens":1}"#)) { response in
                    #expect(response.status == .conflict, "\(String(buffer: response.body))")
                }
            }
        }
    }

    @Test func badExtensionsAreRefusedWithTheirReason() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let key = try await createKey(client, tenant: "acme").key
                let reserve = #"{"user":"bob","model":"gpt-4o","input_tokens":10,"max_output_tokens":10,"reservation_id":"s2"}"#
                try await client.execute(uri: "/v1/tenants/acme/reservations", method: .post, headers: auth(key), body: json(reserve)) {
                    #expect($0.status == .created)
                }
                for (body, status) in [
                    (#"{}"#, HTTPResponse.Status.badRequest), (#"{"add_output_tokens":-1}"#, .badRequest),
                    (#"{"add_output_tokens":5,"extra":1}"#, .badRequest), (#"{"ttl_seconds":0}"#, .badRequest),
                ] {
                    try await client.execute(uri: "/v1/tenants/acme/reservations/res:bob:s2/extend", method: .post, headers: auth(key), body: json(body)) {
                        #expect($0.status == status, "\(body): \(String(buffer: $0.body))")
                    }
                }
                try await client.execute(uri: "/v1/tenants/acme/reservations/res:bob:never/extend", method: .post, headers: auth(key),
                                         body: json(#"{"add_output_tokens":5}"#)) { #expect($0.status == .notFound) }
                try await client.execute(uri: "/v1/tenants/acme/reservations/res:bob:never/extend", method: .post, headers: auth(key),
                                         body: json(#"{"ttl_seconds":5}"#)) { #expect($0.status == .notFound) }
                #expect(try await reserved(client, key, "bob")["tokens"] as? Int == 20)
            }
        }
    }

    @Test func aRateWindowCountsTheExtensionToo() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let key = try await createKey(client, tenant: "acme").key
                try await client.execute(uri: "/v1/tenants/acme/users/cy/quota", method: .put, headers: auth(adminKey),
                                         body: json(#"{"rate":{"tokens_per_minute":300}}"#)) { #expect($0.status == .ok) }
                let reserve = #"{"user":"cy","model":"gpt-4o","input_tokens":50,"max_output_tokens":50,"reservation_id":"w1"}"#
                try await client.execute(uri: "/v1/tenants/acme/reservations", method: .post, headers: auth(key), body: json(reserve)) {
                    #expect($0.status == .created)
                }
                try await client.execute(uri: "/v1/tenants/acme/reservations/res:cy:w1/extend", method: .post, headers: auth(key),
                                         body: json(#"{"add_output_tokens":150}"#)) { #expect($0.status == .ok) }
                try await client.execute(uri: "/v1/tenants/acme/reservations/res:cy:w1/extend", method: .post, headers: auth(key),
                                         body: json(#"{"add_output_tokens":100}"#)) { response in
                    #expect(response.status == .tooManyRequests)
                    #expect(String(buffer: response.body).contains("tokens_per_minute"), "\(String(buffer: response.body))")
                }
                // another call of 60 tokens does not fit the window the extension filled either
                let next = #"{"user":"cy","model":"gpt-4o","input_tokens":30,"max_output_tokens":30,"reservation_id":"w2"}"#
                try await client.execute(uri: "/v1/tenants/acme/reservations", method: .post, headers: auth(key), body: json(next)) {
                    #expect($0.status == .tooManyRequests)
                }
            }
        }
    }
}
