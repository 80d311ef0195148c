import Foundation
import Hummingbird
import HummingbirdTesting
@testable import QuotaHTTP
import Testing

/// Request bodies: unknown fields and duplicate keys are refused naming the field; nothing is applied.
@Suite("Strict request bodies")
struct StrictBodyTests {
    let quotaSchema = JSONKeySchema.object([
        "limits": .keys(["tokens", "cost_usd", "requests"]), "cycle": .keys(["anchor_day", "timezone"]),
    ])

    @Test func unknownNestedFieldIsNamed() {
        let violations = JSONKeyScanner.violations(in: Array(#"{"limits":{"tokenz":100}}"#.utf8), schema: quotaSchema)
        #expect(violations.map(\.message) == ["unknown field 'limits.tokenz'; expected one of: cost_usd, requests, tokens"])
    }

    @Test func duplicateKeysAreFoundAfterUnescaping() {
        let schema = JSONKeySchema.keys(["user", "model"])
        #expect(JSONKeyScanner.violations(in: Array(#"{"user":"a","user":"b"}"#.utf8), schema: schema).map(\.message) == ["duplicate field 'user'"])
        #expect(JSONKeyScanner.violations(in: Array(#"{"user":"a","us\u0065r":"b"}"#.utf8), schema: schema).map(\.message) == ["duplicate field 'user'"])
        // Duplicates inside free-form values are found too (a provider response is billed from them).
        let nested = #"{"user":"a","model":{"x":1,"y":{"k":1,"k":2}}}"#
        #expect(JSONKeyScanner.violations(in: Array(nested.utf8), schema: .object(["user": .any, "model": .any])).map(\.message)
            == ["duplicate field 'model.y.k'"])
    }

    @Test func validBodiesHaveNoViolationsAndMalformedOnesOneWithoutAPath() {
        let valid = #"{"limits":{"tokens":1,"cost_usd":"1.5","requests":null},"cycle":{"anchor_day":3,"timezone":"UTC"}}"#
        #expect(JSONKeyScanner.violations(in: Array(valid.utf8), schema: quotaSchema).isEmpty)
        for malformed in [#"{"limits":"#, #"{"limits":{"tokenz":1"#, "[", #"{"a" 1}"#, "", "\"\\"] {
            let violations = JSONKeyScanner.violations(in: Array(malformed.utf8), schema: quotaSchema)
            #expect(violations.map(\.message) == ["malformed JSON body"], "\(malformed)")
            #expect(violations.first?.path == [])
        }
    }

    /// The check never gives up silently: a body nested past the limit or starting with a byte-order mark
    /// is refused, so its duplicate or unknown keys can never pass unchecked (first one wins).
    @Test func bodiesTheScannerCannotReadAreRefusedNotPassed() throws {
        let deep = #"{"user":"a","user":"b","model":"m","provider":"#
            + String(repeating: "[", count: JSONKeyScanner.maximumDepth) + String(repeating: "]", count: JSONKeyScanner.maximumDepth) + "}"
        let bom = "\u{FEFF}" + #"{"user":"a","user":"b","model":"m","input_tokens":1}"#
        for (body, message) in [(deep, "nested more than 64 levels"), (bom, "byte-order mark")] {
            #expect(JSONKeyScanner.violations(in: Array(body.utf8), schema: ReservationBody.keySchema).map(\.message).first?.contains(message) == true)
            do {
                _ = try RequestBodyReader.decodeReservation(from: ByteBuffer(string: body))
                Issue.record("accepted: \(body.prefix(60))")
            } catch {
                #expect(error.message.contains(message), "\(error.message)")
            }
        }
        // Exactly at the limit the keys are still checked (the duplicate is found, not skipped).
        let atLimit = #"{"user":"a","user":"b","x":"# + String(repeating: "[", count: JSONKeyScanner.maximumDepth - 1)
            + String(repeating: "]", count: JSONKeyScanner.maximumDepth - 1) + "}"
        #expect(JSONKeyScanner.violations(in: Array(atLimit.utf8), schema: .any).map(\.message) == ["duplicate field 'user'"])
    }

    @Test func batchViolationsPointAtTheirEvent() {
        let body = #"{"events":[{"user":"a"},{"user":"b","colour":1},{"user":"c","user":"d"}]}"#
        let violations = JSONKeyScanner.violations(in: Array(body.utf8), schema: BatchRequest.keySchema)
        #expect(violations.map { $0.elementIndex(under: "events") } == [1, 2])
    }

    @Test func usageRequestSchemaCoversEveryCountAndEstimate() {
        let body = #"{"user":"u","event_id":"e","model":"gpt-4o","usage":{"input_tokens":1,"audio_input_tokens":1,"web_search_requests":1},"metadata":{"anything":"x"}}"#
        #expect(JSONKeyScanner.violations(in: Array(body.utf8), schema: UsageRequest.keySchema).isEmpty)
        let typo = #"{"user":"u","usage":{"input_tokenz":1}}"#
        #expect(JSONKeyScanner.violations(in: Array(typo.utf8), schema: UsageRequest.keySchema).first?.message.hasPrefix("unknown field 'usage.input_tokenz'") == true)
        let estimate = #"{"usage":"estimate","messages":[{"role":"user","content":"hi"}],"output_text":"yo"}"#
        #expect(JSONKeyScanner.violations(in: Array(estimate.utf8), schema: UsageRequest.keySchema).isEmpty)
    }

    @Test func typoInQuotaBodyIsRefusedAndLeavesTheQuota() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let key = try await createKey(client, tenant: "acme").key
                let quota = #"{"limits":{"tokens":100}}"#
                try await client.execute(uri: "/v1/tenants/acme/users/alice/quota", method: .put, headers: auth(key), body: json(quota)) {
                    #expect($0.status == .ok)
                }
                let typo = #"{"limits":{"tokenz":100}}"#
                try await client.execute(uri: "/v1/tenants/acme/users/alice/quota", method: .put, headers: auth(key), body: json(typo)) { response in
                    #expect(response.status == .badRequest)
                    #expect(errorCode(response) == "invalid_request")
                    #expect(((object(response)["error"] as? [String: Any])?["message"] as? String)?.contains("limits.tokenz") == true)
                }
                try await client.execute(uri: "/v1/tenants/acme/users/alice/quota", method: .get, headers: auth(key)) { response in
                    #expect((object(response)["limits"] as? [String: Any])?["tokens"] as? Int == 100)
                }
            }
        }
    }

    @Test func duplicateUserIsRefusedAndNothingIsRecorded() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let key = try await createKey(client, tenant: "acme").key
                let body = #"{"user":"a","user":"b","event_id":"e1","model":"gpt-4o","usage":{"input_tokens":10}}"#
                try await client.execute(uri: "/v1/tenants/acme/usage", method: .post, headers: auth(key), body: json(body)) { response in
                    #expect(response.status == .badRequest)
                    #expect(((object(response)["error"] as? [String: Any])?["message"] as? String) == "duplicate field 'user'")
                }
                for user in ["a", "b"] {
                    try await client.execute(uri: "/v1/tenants/acme/users/\(user)/usage", method: .get, headers: auth(key)) { response in
                        #expect((object(response)["totals"] as? [String: Any])?["requests"] as? Int == 0)
                    }
                }
            }
        }
    }

    @Test func percentEncodedUserIsDecoded() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let key = try await createKey(client, tenant: "acme").key
                let body = #"{"user":"john@example.com","event_id":"e1","model":"gpt-4o","usage":{"input_tokens":10}}"#
                try await client.execute(uri: "/v1/tenants/acme/usage", method: .post, headers: auth(key), body: json(body)) {
                    #expect($0.status == .ok)
                }
                try await client.execute(uri: "/v1/tenants/acme/users/john%40example.com/usage", method: .get, headers: auth(key)) { response in
                    #expect(response.status == .ok)
                    #expect((object(response)["totals"] as? [String: Any])?["input_tokens"] as? Int == 10)
                }
                try await client.execute(uri: "/v1/tenants/acme/users/john%4/usage", method: .get, headers: auth(key)) { response in
                    #expect(response.status == .badRequest)
                }
            }
        }
    }

    @Test func batchItemsWithUnknownFieldsFailAlone() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let key = try await createKey(client, tenant: "acme").key
                let body = """
                    {"events":[
                      {"user":"u","event_id":"b1","model":"gpt-4o","usage":{"input_tokens":10}},
                      {"user":"u","event_id":"b2","model":"gpt-4o","usage":{"input_tokens":10},"colour":"red"},
                      {"user":"u","event_id":"b1","model":"gpt-4o","usage":{"input_tokens":10}}
                    ]}
                    """
                try await client.execute(uri: "/v1/tenants/acme/usage/batch", method: .post, headers: auth(key), body: json(body)) { response in
                    #expect(response.status == .ok)
                    let results = try #require(object(response)["results"] as? [[String: Any]])
                    #expect(results.count == 3)
                    #expect(results[0]["recorded"] as? Bool == true)
                    #expect((results[1]["error"] as? [String: Any])?["code"] as? String == "invalid_request")
                    #expect(results[2]["reason"] as? String == "duplicate")
                }
            }
        }
    }
}
