import Foundation
import Hummingbird
import HummingbirdTesting
import QuotaHTTP
import Testing

/// Reservation lifecycle over HTTP: a commit names the reservation's owner or no one; a reservation that
/// does not exist needs a user; a committed id cannot be reserved again.
@Suite("Reservation lifecycle over HTTP")
struct ReservationLifecycleHTTPTests {
    @Test func commitForAnotherUserIsAConflictAndChangesNothing() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let key = try await createKey(client, tenant: "acme").key
                let reserve = #"{"user":"alice","model":"gpt-4o","input_tokens":100,"reservation_id":"call-9"}"#
                let id: String = try await client.execute(uri: "/v1/tenants/acme/reservations", method: .post, headers: auth(key), body: json(reserve)) {
                    #expect($0.status == .created)
                    return try #require(object($0)["reservation_id"] as? String)
                }
                let commit = #"{"user":"bob","model":"gpt-4o","usage":{"input_tokens":100}}"#
                try await client.execute(uri: "/v1/tenants/acme/reservations/\(id)/commit", method: .post, headers: auth(key), body: json(commit)) {
                    #expect($0.status == .conflict)
                }
                for user in ["alice", "bob"] {
                    try await client.execute(uri: "/v1/tenants/acme/users/\(user)/usage", method: .get, headers: auth(key)) { response in
                        #expect((object(response)["totals"] as? [String: Any])?["requests"] as? Int == 0)
                    }
                }
                // The owner's commit settles it; reserving the same id again is a conflict.
                let own = #"{"model":"gpt-4o","usage":{"input_tokens":100}}"#
                try await client.execute(uri: "/v1/tenants/acme/reservations/\(id)/commit", method: .post, headers: auth(key), body: json(own)) {
                    #expect($0.status == .ok)
                }
                try await client.execute(uri: "/v1/tenants/acme/reservations/\(id)/commit", method: .post, headers: auth(key), body: json(own)) {
                    #expect(object($0)["reason"] as? String == "duplicate")
                }
                try await client.execute(uri: "/v1/tenants/acme/reservations", method: .post, headers: auth(key), body: json(reserve)) {
                    #expect($0.status == .conflict)
                }
            }
        }
    }

    /// Committing with the id the caller chose (and the user) settles the granted `res:<user>:<id>`
    /// reservation rather than recording beside it and leaving it held.
    /// `Prefer: return=minimal` on a commit answers the small body, as on `POST …/usage`; a retried commit
    /// says so in the small body too.
    @Test func commitHonoursReturnMinimal() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let key = try await createKey(client, tenant: "acme").key
                let reserve = #"{"user":"alice","model":"gpt-4o","input_tokens":100,"reservation_id":"call-m"}"#
                try await client.execute(uri: "/v1/tenants/acme/reservations", method: .post, headers: auth(key), body: json(reserve)) {
                    #expect($0.status == .created)
                }
                var headers = auth(key)
                headers[ReturnPreference.preferHeader] = "return=minimal"
                let commit = #"{"user":"alice","model":"gpt-4o","usage":{"input_tokens":100,"output_tokens":20}}"#
                for (attempt, recorded) in [(1, true), (2, false)] {
                    try await client.execute(uri: "/v1/tenants/acme/reservations/call-m/commit", method: .post, headers: headers, body: json(commit)) {
                        #expect($0.status == .ok)
                        #expect($0.headers[ReturnPreference.appliedHeader] == "return=minimal")
                        let body = object($0)
                        let expectedKeys: Set<String> = recorded
                            ? ["cost_nano_usd", "event_id", "over_limit", "recorded"]
                            : ["cost_nano_usd", "event_id", "over_limit", "reason", "recorded"]
                        #expect(Set(body.keys) == expectedKeys, "attempt \(attempt)")
                        #expect(body["recorded"] as? Bool == recorded)
                        #expect(body["event_id"] as? String == "res:alice:call-m")
                    }
                }
                try await client.execute(uri: "/v1/tenants/acme/users/alice/usage", method: .get, headers: auth(key)) { response in
                    let body = object(response)
                    #expect((body["totals"] as? [String: Any])?["requests"] as? Int == 1)
                    #expect((body["reserved"] as? [String: Any])?["tokens"] as? Int == 0)
                }
            }
        }
    }

    @Test func commitByTheCallersOwnIdSettlesTheReservation() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let key = try await createKey(client, tenant: "acme").key
                let reserve = #"{"user":"carol","model":"gpt-4o","input_tokens":100,"reservation_id":"call-7"}"#
                try await client.execute(uri: "/v1/tenants/acme/reservations", method: .post, headers: auth(key), body: json(reserve)) {
                    #expect($0.status == .created)
                    #expect(object($0)["reservation_id"] as? String == "res:carol:call-7")
                }
                let commit = #"{"user":"carol","model":"gpt-4o","usage":{"input_tokens":60}}"#
                try await client.execute(uri: "/v1/tenants/acme/reservations/call-7/commit", method: .post, headers: auth(key), body: json(commit)) {
                    #expect($0.status == .ok)
                    #expect(object($0)["event_id"] as? String == "res:carol:call-7")
                }
                try await client.execute(uri: "/v1/tenants/acme/users/carol/usage", method: .get, headers: auth(key)) { response in
                    let body = object(response)
                    #expect((body["reserved"] as? [String: Any])?["tokens"] as? Int == 0)
                    #expect((body["totals"] as? [String: Any])?["input_tokens"] as? Int == 60)
                }
            }
        }
    }

    @Test func commitOfAnUnknownReservationWithoutAUserIsNotFound() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let key = try await createKey(client, tenant: "acme").key
                let commit = #"{"model":"gpt-4o","usage":{"input_tokens":100}}"#
                try await client.execute(uri: "/v1/tenants/acme/reservations/res:carol:never/commit", method: .post, headers: auth(key), body: json(commit)) {
                    #expect($0.status == .notFound)
                }
                try await client.execute(uri: "/v1/tenants/acme/users/carol/usage", method: .get, headers: auth(key)) { response in
                    #expect((object(response)["totals"] as? [String: Any])?["requests"] as? Int == 0)
                }
            }
        }
    }
}
