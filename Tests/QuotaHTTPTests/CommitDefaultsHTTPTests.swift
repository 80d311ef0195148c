import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import QuotaHTTP
import Testing

/// A commit that names no model, provider or user takes the reservation's: before, it recorded `unknown`,
/// which a cost limit refuses (422 unpriced_model) and which prices nothing.
@Suite struct CommitDefaultsHTTPTests {
    @Test func aCommitWithoutAModelRecordsTheReservationsModel() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let key = try await createKey(client, tenant: "acme").key
                try await client.execute(uri: "/v1/tenants/acme/quota/tenant", method: .put, headers: auth(adminKey), body: json(#"{"limits":{"cost_usd":"5.00"}}"#)) {
                    #expect($0.status == .ok)
                }
                for (index, commit) in [
                    #"{"usage":{"input_tokens":1000,"output_tokens":100}}"#,
                    // a provider usage object without a model, as a response
                    #"{"response":{"usage":{"prompt_tokens":1000,"completion_tokens":100}}}"#,
                ].enumerated() {
                    let reserve = #"{"user":"ann","model":"gpt-4o-mini","provider":"openai","input_tokens":1000,"max_output_tokens":200,"reservation_id":"c\#(index)"}"#
                    try await client.execute(uri: "/v1/tenants/acme/reservations", method: .post, headers: auth(key), body: json(reserve)) {
                        #expect($0.status == .created, "\(String(buffer: $0.body))")
                    }
                    try await client.execute(uri: "/v1/tenants/acme/reservations/res:ann:c\(index)/commit", method: .post, headers: auth(key), body: json(commit)) { response in
                        #expect(response.status == .ok, "\(commit): \(String(buffer: response.body))")
                        let answer = object(response)
                        #expect(answer["model"] as? String == "gpt-4o-mini", "\(answer)")
                        #expect(answer["priced"] as? Bool == true)
                        #expect(answer["priced_as"] as? String == "gpt-4o-mini")
                        // gpt-4o-mini: 1000 × $0.15 + 100 × $0.60 per 1M = $0.00021
                        #expect(answer["cost_nano_usd"] as? Int == 210_000, "\(answer)")
                    }
                }
                // The body's model still wins over the reservation's.
                let reserve = #"{"user":"ann","model":"gpt-4o-mini","input_tokens":10,"max_output_tokens":10,"reservation_id":"c9"}"#
                try await client.execute(uri: "/v1/tenants/acme/reservations", method: .post, headers: auth(key), body: json(reserve)) {
                    #expect($0.status == .created)
                }
                try await client.execute(uri: "/v1/tenants/acme/reservations/res:ann:c9/commit", method: .post, headers: auth(key),
                                         body: json(#"{"model":"gpt-4o","usage":{"input_tokens":10,"output_tokens":1}}"#)) { response in
                    #expect(object(response)["model"] as? String == "gpt-4o")
                }
                // A dated snapshot says which entry priced it; an unknown model is priced as nothing.
                let snapshot = #"{"user":"ann","event_id":"s1","model":"gpt-4o-2024-08-06","usage":{"input_tokens":10,"output_tokens":1}}"#
                try await client.execute(uri: "/v1/tenants/acme/usage", method: .post, headers: auth(key), body: json(snapshot)) { response in
                    #expect(object(response)["priced_as"] as? String == "gpt-4o", "\(String(buffer: response.body))")
                }
            }
        }
    }
}
