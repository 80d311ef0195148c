import Foundation
import Hummingbird
import HummingbirdTesting
import QuotaHTTP
import Testing
import TokenAccounting

/// A reservation needs an input estimate and is priced pessimistically: every token at the highest rate it
/// could be charged (here claude-sonnet-4-5: $6 per 1M for a 1-hour cache write, $12 in the >200k tier).
@Suite("Reservation pricing over HTTP")
struct ReservationPricingHTTPTests {
    /// POSTs a reservation and returns the response's `reserved` object (after expecting `201`).
    private func reserve(_ client: some TestClientProtocol, key: String, _ body: String) async throws -> [String: Any] {
        try await client.execute(uri: "/v1/tenants/acme/reservations", method: .post, headers: auth(key), body: json(body)) { response in
            #expect(response.status == .created, "\(text(response))")
            return try #require(object(response)["reserved"] as? [String: Any])
        }
    }

    @Test func claudeReservationHoldsThePessimisticCost() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let key = try await createKey(client, tenant: "acme").key
                // 10,000 input tokens at $6/1M (1-hour cache write) + 2,000 output at $15/1M = $0.09; the plain
                // cost, all input uncached at $3/1M, would be $0.06.
                let base = try await reserve(
                    client, key: key, #"{"user":"alice","model":"claude-sonnet-4-5","input_tokens":10000,"max_output_tokens":2000}"#
                )
                #expect(base["tokens"] as? Int == 12_000)
                #expect(base["cost_nano_usd"] as? Int == 90_000_000)
                // Above 200k input tokens the tier prices the whole call: 250,000 × $12 + 1,000 × $22.50.
                let tier = try await reserve(
                    client, key: key, #"{"user":"alice","model":"claude-sonnet-4-5","input_tokens":250000,"max_output_tokens":1000}"#
                )
                #expect(tier["cost_nano_usd"] as? Int == 3_000_000_000 + 22_500_000)
            }
        }
    }

    @Test func messagesEstimateIsPricedPessimisticallyToo() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let key = try await createKey(client, tenant: "acme").key
                let body = #"{"user":"bob","model":"claude-sonnet-4-5","messages":[{"role":"user","content":"Summarise the attached report in three bullet points, please."}],"max_output_tokens":500}"#
                let reserved = try await reserve(client, key: key, body)
                let tokens = try #require(reserved["tokens"] as? Int)
                let input = tokens - 500
                #expect(input > 0)
                let price = try #require(PriceCatalog.bundledDefault().price(for: "claude-sonnet-4-5"))
                // $6/1M for each estimated input token, $15/1M for each output token.
                #expect(reserved["cost_nano_usd"] as? Int == input * 6_000 + 500 * 15_000)
                #expect(reserved["cost_nano_usd"] as? Int == (try price.reservationCost(inputTokens: input, maxOutputTokens: 500)))
            }
        }
    }

    @Test func reservationWithoutAnInputEstimateIsABadRequestNamingTheFields() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let key = try await createKey(client, tenant: "acme").key
                for body in [
                    #"{"user":"carol","model":"claude-sonnet-4-5","max_output_tokens":4096}"#,
                    #"{"user":"carol","model":"claude-sonnet-4-5"}"#,
                ] {
                    try await client.execute(uri: "/v1/tenants/acme/reservations", method: .post, headers: auth(key), body: json(body)) { response in
                        #expect(response.status == .badRequest)
                        #expect(errorCode(response) == "invalid_request")
                        let error = try #require(object(response)["error"] as? [String: Any])
                        #expect(error["message"] as? String == "a reservation needs an input estimate: give input_tokens, messages or the provider request")
                        #expect(error["fields"] as? [String] == ["input_tokens", "messages", "request"])
                    }
                }
                // An explicit estimate of 0 input tokens is an estimate: accepted.
                let zero = try await reserve(
                    client, key: key, #"{"user":"carol","model":"claude-sonnet-4-5","input_tokens":0,"max_output_tokens":100}"#
                )
                #expect(zero["cost_nano_usd"] as? Int == 100 * 15_000)
            }
        }
    }
}
