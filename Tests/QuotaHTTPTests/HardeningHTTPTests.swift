import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import QuotaHTTP
import Testing
import TokenQuota
import TokenAccounting

/// Nothing a client sends can take quotad down, and every hold covers what it must (issue 24): each test
/// here failed before its fix.
@Suite("Hardening over HTTP")
struct HardeningHTTPTests {
    /// POSTs `body` to `path` and returns (status, JSON object).
    private func post(_ client: some TestClientProtocol, _ path: String, key: String, _ body: String) async throws -> (HTTPResponse.Status, [String: Any]) {
        try await client.execute(uri: path, method: .post, headers: auth(key), body: json(body)) { response in
            (response.status, object(response))
        }
    }

    private func message(_ answer: [String: Any]) -> String {
        ((answer["error"] as? [String: Any])?["message"] as? String) ?? ""
    }

    /// A count of 19 or more digits trapped the fast decoders (SIGILL in the release binary, every tenant
    /// down); now each is a 400 naming the field, on every integer field of the fast paths.
    @Test func hugeIntegersAreABadRequestNamingTheField() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let key = try await createKey(client, tenant: "acme").key
                for digits in ["9223372036854775808", "99999999999999999999", "1234567890123456789"] {
                    let usage = #"{"user":"u","event_id":"e1","model":"gpt-4o","usage":{"input_tokens":\#(digits)}}"#
                    var (status, answer) = try await post(client, "/v1/tenants/acme/usage", key: key, usage)
                    #expect(status == .badRequest, "\(answer)")
                    #expect(message(answer).contains("input_tokens"), "\(answer)")
                    for field in ["input_tokens", "max_output_tokens", "ttl_seconds"] {
                        let body = #"{"user":"u","model":"gpt-4o","input_tokens":1,"\#(field)":\#(digits)}"#
                            .replacingOccurrences(of: #""input_tokens":1,"input_tokens""#, with: #""input_tokens""#)
                        (status, answer) = try await post(client, "/v1/tenants/acme/reservations", key: key, body)
                        #expect(status == .badRequest, "\(field): \(answer)")
                        #expect(message(answer).contains(field), "\(field): \(answer)")
                    }
                    let latency = #"{"user":"u","event_id":"e2","model":"gpt-4o","usage":{"input_tokens":1},"latency_ms":\#(digits)}"#
                    (status, _) = try await post(client, "/v1/tenants/acme/usage", key: key, latency)
                    #expect(status == .badRequest)
                }
                // The service is still up and counts nothing of the refused bodies.
                try await client.execute(uri: "/v1/tenants/acme/users/u/usage", method: .get, headers: auth(key)) { response in
                    #expect(response.status == .ok)
                    #expect((object(response)["totals"] as? [String: Any])?["requests"] as? Int == 0)
                }
            }
        }
    }

    /// Re-reserving a live id for a larger request claimed quota it did not hold (201 with 200,000 tokens
    /// while 10 were held); now 409, and the identical retry answers with the held amounts.
    @Test func aLiveReservationIdIsOneHold() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let key = try await createKey(client, tenant: "acme").key
                try await client.execute(uri: "/v1/tenants/acme/users/ann/quota", method: .put, headers: auth(key), body: json(#"{"limits":{"tokens":100}}"#)) {
                    #expect($0.status == .ok)
                }
                let small = #"{"user":"ann","model":"gpt-4o","input_tokens":5,"max_tokens":5,"reservation_id":"X1"}"#
                var (status, answer) = try await post(client, "/v1/tenants/acme/reservations", key: key, small)
                #expect(status == .created, "\(answer)")
                let large = #"{"user":"ann","model":"gpt-4o","input_tokens":100000,"max_tokens":100000,"reservation_id":"X1"}"#
                (status, answer) = try await post(client, "/v1/tenants/acme/reservations", key: key, large)
                #expect(status == .conflict, "\(answer)")
                (status, answer) = try await post(client, "/v1/tenants/acme/reservations", key: key, small)
                #expect(status == .created)
                #expect((answer["reserved"] as? [String: Any])?["tokens"] as? Int == 10)
                // Committed under its own event id, the id is settled: never held again.
                let commit = #"{"user":"ann","event_id":"call-1","model":"gpt-4o","usage":{"input_tokens":3,"output_tokens":2}}"#
                (status, answer) = try await post(client, "/v1/tenants/acme/reservations/X1/commit", key: key, commit)
                #expect(status == .ok || status == .created, "\(answer)")
                (status, answer) = try await post(client, "/v1/tenants/acme/reservations", key: key, small)
                #expect(status == .conflict, "\(answer)")
                #expect(message(answer).contains("committed"), "\(answer)")
            }
        }
    }

    /// A reservation without an output limit held 0 output tokens; the provider SDKs' names were refused.
    @Test func holdsCoverTheCallsOutput() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let key = try await createKey(client, tenant: "acme").key
                func reserved(_ body: String) async throws -> Int {
                    let (status, answer) = try await post(client, "/v1/tenants/acme/reservations", key: key, body)
                    #expect(status == .created, "\(body): \(answer)")
                    return (answer["reserved"] as? [String: Any])?["tokens"] as? Int ?? -1
                }
                // No limit: the model's most output from the price list (gpt-4o: 16,384), else the default.
                #expect(try await reserved(#"{"user":"u","model":"gpt-4o","input_tokens":100}"#) == 100 + 16_384)
                #expect(try await reserved(#"{"user":"u","model":"claude-sonnet-4-5","input_tokens":100}"#) == 100 + 64_000)
                #expect(try await reserved(#"{"user":"u","model":"gpt-4o-2024-05-13","input_tokens":100}"#) == 100 + 16_384)
                // The SDKs' names.
                #expect(try await reserved(#"{"user":"u","model":"gpt-4o","input_tokens":100,"max_tokens":50}"#) == 150)
                #expect(try await reserved(#"{"user":"u","model":"gpt-4o","input_tokens":100,"max_completion_tokens":60}"#) == 160)
                #expect(try await reserved(#"{"user":"u","model":"gpt-4o","input_tokens":100,"max_output_tokens":70}"#) == 170)
                let (status, answer) = try await post(
                    client, "/v1/tenants/acme/reservations", key: key, #"{"user":"u","model":"gpt-4o","input_tokens":1,"max_tokens":5,"max_output_tokens":6}"#
                )
                #expect(status == .badRequest)
                #expect(message(answer).contains("disagree"))
            }
        }
    }

    /// OpenAI content parts, tool calls and Anthropic blocks were a 400; the provider request body is accepted
    /// as it is, and its limit and model are read from it.
    @Test func providerMessageShapesAndRequestBodiesAreEstimated() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let key = try await createKey(client, tenant: "acme").key
                let openAI = #"""
                {"user":"u","model":"gpt-4o","max_tokens":10,"messages":[
                  {"role":"system","content":"You are terse."},
                  {"role":"user","name":"ann","content":[{"type":"text","text":"What is in this picture?"},{"type":"image_url","image_url":{"url":"https://example.com/a.png"}}]},
                  {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"lookup","arguments":"{\"q\":\"cats\"}"}}]},
                  {"role":"tool","tool_call_id":"c1","content":"three cats"}]}
                """#
                var (status, answer) = try await post(client, "/v1/tenants/acme/reservations", key: key, openAI)
                #expect(status == .created, "\(answer)")
                let openAITokens = (answer["reserved"] as? [String: Any])?["tokens"] as? Int ?? 0
                // The image alone is estimated at its documented fixed cost.
                #expect(openAITokens > ChatMessage.imageTokenEstimate + 10)
                let anthropic = #"""
                {"user":"u","model":"claude-sonnet-4-5","system":[{"type":"text","text":"Be brief."}],"request":{"model":"claude-sonnet-4-5","max_tokens":20,"messages":[
                  {"role":"user","content":[{"type":"text","text":"Weather?"}]},
                  {"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"weather","input":{"city":"Paris"}}]},
                  {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[{"type":"text","text":"sunny"}]}]}]}}
                """#
                (status, answer) = try await post(client, "/v1/tenants/acme/reservations", key: key, anthropic)
                #expect(status == .created, "\(answer)")
                let anthropicTokens = (answer["reserved"] as? [String: Any])?["tokens"] as? Int ?? 0
                #expect(anthropicTokens > 20 && anthropicTokens < 200, "\(answer)")
                // The provider body alone names the model and the limit.
                let request = #"{"user":"u","request":{"model":"gpt-4o-mini","max_completion_tokens":7,"messages":[{"role":"user","content":"hi"}]}}"#
                (status, answer) = try await post(client, "/v1/tenants/acme/reservations", key: key, request)
                #expect(status == .created, "\(answer)")
                #expect(answer["model"] as? String == "gpt-4o-mini")
                let requestTokens = (answer["reserved"] as? [String: Any])?["tokens"] as? Int ?? 0
                #expect(requestTokens > 7 && requestTokens < 30, "\(answer)")
            }
        }
    }

    /// An unpriced model passed a group or tenant cost limit at cost 0; now refused wherever a cost limit
    /// applies, in usage and in reservations.
    @Test func unpricedModelsAreRefusedUnderAGroupOrTenantCostLimit() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let key = try await createKey(client, tenant: "acme").key
                try await client.execute(uri: "/v1/tenants/acme/users/ann/quota", method: .put, headers: auth(key), body: json(#"{"group":"eng"}"#)) {
                    #expect($0.status == .ok, "\(text($0))")
                }
                try await client.execute(uri: "/v1/tenants/acme/groups/eng/quota", method: .put, headers: auth(key), body: json(#"{"limits":{"cost_usd":"1"}}"#)) {
                    #expect($0.status == .ok, "\(text($0))")
                }
                try await client.execute(uri: "/v1/tenants/acme/quota/tenant", method: .put, headers: auth(key), body: json(#"{"limits":{"cost_usd":"5"}}"#)) {
                    #expect($0.status == .ok, "\(text($0))")
                }
                for (user, level) in [("ann", "group 'eng'"), ("bob", "the tenant")] {
                    let usage = #"{"user":"\#(user)","event_id":"e-\#(user)","model":"my-private-model","usage":{"input_tokens":10}}"#
                    var (status, answer) = try await post(client, "/v1/tenants/acme/usage", key: key, usage)
                    #expect(status == .unprocessableContent, "\(answer)")
                    #expect(message(answer).contains(level), "\(answer)")
                    let reserve = #"{"user":"\#(user)","model":"my-private-model","input_tokens":10,"max_tokens":10}"#
                    (status, answer) = try await post(client, "/v1/tenants/acme/reservations", key: key, reserve)
                    #expect(status == .unprocessableContent, "\(answer)")
                }
            }
        }
    }

    /// A batch body that is not JSON, and a strict body the key check cannot read (a byte-order mark), are
    /// 400s naming the problem.
    @Test func unreadableBodiesAreABadRequest() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let key = try await createKey(client, tenant: "acme").key
                var (status, answer) = try await post(client, "/v1/tenants/acme/usage/batch", key: key, "this is not json")
                #expect(status == .badRequest, "\(answer)")
                let bom = "\u{FEFF}" + #"{"user":"a","user":"b","model":"gpt-4o","input_tokens":1}"#
                (status, answer) = try await post(client, "/v1/tenants/acme/reservations", key: key, bom)
                #expect(status == .badRequest, "\(answer)")
                #expect(message(answer).contains("byte-order mark"), "\(answer)")
            }
        }
    }

    /// `1.0` and `1e3` were read as integers; they are refused, naming the field.
    @Test func fractionsAndExponentsAreNotIntegers() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let key = try await createKey(client, tenant: "acme").key
                for (path, body, field) in [
                    ("/v1/tenants/acme/usage", #"{"user":"u","event_id":"f1","model":"gpt-4o","usage":{"input_tokens":1.0}}"#, "usage.input_tokens"),
                    ("/v1/tenants/acme/usage", #"{"user":"u","event_id":"f2","model":"gpt-4o","usage":{"output_tokens":1e3}}"#, "usage.output_tokens"),
                    ("/v1/tenants/acme/reservations", #"{"user":"u","model":"gpt-4o","input_tokens":1e3}"#, "input_tokens"),
                    ("/v1/tenants/acme/reservations", #"{"user":"u","model":"gpt-4o","input_tokens":1,"max_tokens":2.0}"#, "max_tokens"),
                ] {
                    let (status, answer) = try await post(client, path, key: key, body)
                    #expect(status == .badRequest, "\(body): \(answer)")
                    #expect(message(answer).contains(field) && message(answer).contains("whole number"), "\(answer)")
                }
                try await client.execute(uri: "/v1/tenants/acme/users/u/quota", method: .put, headers: auth(key), body: json(#"{"limits":{"tokens":1.5}}"#)) {
                    #expect($0.status == .badRequest, "\(text($0))")
                }
            }
        }
    }

    /// DELETE of a user's quota erased what the user had spent; now it removes the limits only, and the
    /// explicit reset is recorded with who and when, and shown in the report.
    @Test func deleteNeverResetsUsageAndAResetIsRecorded() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let key = try await createKey(client, tenant: "acme").key
                try await client.execute(uri: "/v1/tenants/acme/users/ann/quota", method: .put, headers: auth(key), body: json(#"{"limits":{"tokens":1000}}"#)) {
                    #expect($0.status == .ok)
                }
                let usage = #"{"user":"ann","event_id":"d1","model":"gpt-4o","usage":{"input_tokens":300,"output_tokens":100}}"#
                var (status, _) = try await post(client, "/v1/tenants/acme/usage", key: key, usage)
                #expect(status == .ok)
                try await client.execute(uri: "/v1/tenants/acme/users/ann/quota", method: .delete, headers: auth(key)) { #expect($0.status == .noContent) }
                func userTokens() async throws -> Int? {
                    try await client.execute(uri: "/v1/tenants/acme/users/ann/usage", method: .get, headers: auth(key)) { response in
                        (object(response)["totals"] as? [String: Any])?["total_tokens"] as? Int
                    }
                }
                #expect(try await userTokens() == 400)
                var answer: [String: Any]
                (status, answer) = try await post(client, "/v1/tenants/acme/users/ann/usage/reset", key: key, "")
                #expect(status == .ok, "\(answer)")
                #expect(answer["tokens"] as? Int == 400)
                #expect((answer["by"] as? String)?.hasPrefix("key:") == true)
                #expect(try await userTokens() == 0)
                try await client.execute(uri: "/v1/tenants/acme/reports/usage", method: .get, headers: auth(key)) { response in
                    #expect(response.status == .ok, "\(text(response))")
                    let body = object(response)
                    let resets = try #require(body["resets"] as? [[String: Any]])
                    #expect(resets.count == 1)
                    #expect(resets.first?["user"] as? String == "ann")
                    #expect(resets.first?["tokens"] as? Int == 400)
                    // The report keeps what was spent.
                    #expect((body["totals"] as? [String: Any])?["total_tokens"] as? Int == 400)
                }
                // A user on their own cycle, unlike the default's: DELETE would hand out a fresh budget, so 409.
                try await client.execute(
                    uri: "/v1/tenants/acme/users/bob/quota", method: .put, headers: auth(key),
                    body: json(#"{"limits":{"tokens":10},"cycle":{"anchor_day":15,"timezone":"Asia/Tokyo"}}"#)
                ) { #expect($0.status == .ok, "\(text($0))") }
                try await client.execute(uri: "/v1/tenants/acme/users/bob/quota", method: .delete, headers: auth(key)) { response in
                    #expect(response.status == .conflict, "\(text(response))")
                }
            }
        }
    }

    /// A 429 said when to retry but carried no RateLimit headers; reservations under a cycle limit carry
    /// the remaining budget of the strictest limit.
    @Test func rateLimitHeadersOnRefusalsAndReservations() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let key = try await createKey(client, tenant: "acme").key
                try await client.execute(uri: "/v1/tenants/acme/users/ann/quota", method: .put, headers: auth(key), body: json(#"{"limits":{"tokens":1000}}"#)) {
                    #expect($0.status == .ok)
                }
                let fits = #"{"user":"ann","model":"gpt-4o","input_tokens":300,"max_tokens":100}"#
                try await client.execute(uri: "/v1/tenants/acme/reservations", method: .post, headers: auth(key), body: json(fits)) { response in
                    #expect(response.status == .created)
                    #expect(response.headers[HTTPField.Name("RateLimit-Policy")!]?.hasPrefix(#""user-tokens";q=1000;w="#) == true)
                    #expect(response.headers[HTTPField.Name("RateLimit")!]?.hasPrefix(#""user-tokens";r=600;t="#) == true, "\(response.headers)")
                }
                let tooMuch = #"{"user":"ann","model":"gpt-4o","input_tokens":600,"max_tokens":100}"#
                try await client.execute(uri: "/v1/tenants/acme/reservations", method: .post, headers: auth(key), body: json(tooMuch)) { response in
                    #expect(response.status == .tooManyRequests)
                    #expect(response.headers[.retryAfter] != nil)
                    #expect(response.headers[HTTPField.Name("RateLimit-Policy")!]?.hasPrefix(#""user-tokens";q=1000;w="#) == true)
                    #expect(response.headers[HTTPField.Name("RateLimit")!]?.hasPrefix(#""user-tokens";r=600;t="#) == true, "\(response.headers)")
                }
            }
        }
    }

    /// An Anthropic `message_delta` alone was recorded with 0 input tokens; now refused naming what is missing.
    @Test func aStreamWithoutItsStartIsRefused() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let key = try await createKey(client, tenant: "acme").key
                let delta = #"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":15}}\n\n"#
                let body = #"{"user":"u","event_id":"s1","model":"claude-sonnet-4-5","provider":"anthropic","response":"\#(delta)"}"#
                let (status, answer) = try await post(client, "/v1/tenants/acme/usage", key: key, body)
                #expect(status == .unprocessableContent, "\(answer)")
                #expect(message(answer).contains("message_start"), "\(answer)")
            }
        }
    }
}
