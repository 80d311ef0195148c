import EmbeddedRedis
import Foundation
import Hummingbird
import HummingbirdTesting
import QuotaHTTP
import Testing

/// End-to-end flows over the real Redis repository.
@Suite("Quota flows")
struct FlowTests {
    @Test func keyQuotaReserveCommitUsageAndReports() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let key = try await createKey(client, tenant: "acme").key
                let quota = "{\"limits\":{\"tokens\":100000,\"cost_usd\":\"12.50\",\"requests\":null},\"cycle\":{\"anchor_day\":1,\"timezone\":\"UTC\"}}"
                try await client.execute(uri: "/v1/tenants/acme/users/alice/quota", method: .put, headers: auth(key), body: json(quota)) { response in
                    #expect(response.status == .ok)
                    let limits = object(response)["limits"] as? [String: Any]
                    #expect(limits?["cost_usd"] as? String == "12.50")
                    #expect(limits?["cost_nano_usd"] as? Int == 12_500_000_000)
                    #expect(limits?["tokens"] as? Int == 100_000)
                    #expect(limits?["requests"] is NSNull)
                    #expect(object(response)["source"] as? String == "user")
                }
                try await client.execute(uri: "/v1/tenants/acme/users/alice/quota", method: .get, headers: auth(key)) { response in
                    #expect(response.status == .ok)
                    #expect(object(response)["source"] as? String == "user")
                }
                try await client.execute(uri: "/v1/tenants/acme/users/bob/quota", method: .get, headers: auth(key)) { response in
                    #expect(object(response)["source"] as? String == "tenant_default")
                }
                let reserve = "{\"user\":\"alice\",\"model\":\"gpt-4o\",\"input_tokens\":1000,\"max_output_tokens\":500}"
                let reservationID: String = try await client.execute(
                    uri: "/v1/tenants/acme/reservations", method: .post, headers: auth(key), body: json(reserve)
                ) { response in
                    #expect(response.status == .created)
                    let body = object(response)
                    #expect((body["reserved"] as? [String: Any])?["tokens"] as? Int == 1500)
                    #expect(body["fail_open"] as? Bool == false)
                    return try #require(body["reservation_id"] as? String)
                }
                let openAIResponse = """
                    {"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o-2024-08-06","choices":[],
                     "usage":{"prompt_tokens":900,"completion_tokens":300,"total_tokens":1200}}
                    """
                let commit = "{\"provider\":\"openai\",\"response\":\(openAIResponse)}"
                try await client.execute(
                    uri: "/v1/tenants/acme/reservations/\(reservationID)/commit", method: .post, headers: auth(key), body: json(commit)
                ) { response in
                    #expect(response.status == .ok)
                    let body = object(response)
                    #expect(body["recorded"] as? Bool == true)
                    #expect(body["user"] as? String == "alice")
                    #expect(body["event_id"] as? String == reservationID)
                    #expect((body["usage"] as? [String: Any])?["input_tokens"] as? Int == 900)
                    #expect(body["priced"] as? Bool == true)
                }
                // The same commit again is a duplicate.
                try await client.execute(
                    uri: "/v1/tenants/acme/reservations/\(reservationID)/commit", method: .post, headers: auth(key),
                    body: json("{\"user\":\"alice\",\"usage\":{\"input_tokens\":900,\"output_tokens\":300}}")
                ) { response in
                    #expect(object(response)["recorded"] as? Bool == false)
                    #expect(object(response)["reason"] as? String == "duplicate")
                }
                try await client.execute(uri: "/v1/tenants/acme/reservations/\(reservationID)", method: .delete, headers: auth(key)) { response in
                    #expect(response.status == .notFound)
                }
                let unpriced = "{\"user\":\"bob\",\"event_id\":\"e-2\",\"model\":\"my-private-model\",\"usage\":{\"input_tokens\":10,\"output_tokens\":2}}"
                try await client.execute(uri: "/v1/tenants/acme/usage", method: .post, headers: auth(key), body: json(unpriced)) { response in
                    #expect(response.status == .ok)
                    #expect(object(response)["priced"] as? Bool == false)
                }
                try await client.execute(uri: "/v1/tenants/acme/users/alice/usage?cycle=current", method: .get, headers: auth(key)) { response in
                    #expect(response.status == .ok)
                    let body = object(response)
                    let totals = body["totals"] as? [String: Any]
                    #expect(totals?["input_tokens"] as? Int == 900)
                    #expect(totals?["output_tokens"] as? Int == 300)
                    #expect(totals?["total_tokens"] as? Int == 1200)
                    #expect(totals?["requests"] as? Int == 1)
                    #expect((body["limits"] as? [String: Any])?["tokens"] as? Int == 100_000)
                    #expect((body["remaining"] as? [String: Any])?["tokens"] as? Int == 98_800)
                    #expect((body["reserved"] as? [String: Any])?["tokens"] as? Int == 0)
                    #expect((body["models"] as? [String: Any])?.isEmpty == false)
                }
                try await client.execute(uri: "/v1/tenants/acme/reports/usage", method: .get, headers: auth(key)) { response in
                    #expect(response.status == .ok)
                    let body = object(response)
                    let users = (body["users"] as? [[String: Any]])?.compactMap { $0["user"] as? String }
                    #expect(users == ["alice", "bob"])
                    #expect((body["totals"] as? [String: Any])?["unpriced_requests"] as? Int == 1)
                }
                try await client.execute(uri: "/v1/tenants/acme/reports/usage?format=csv", method: .get, headers: auth(key)) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType]?.hasPrefix("text/csv") == true)
                    let lines = text(response).split(separator: "\r\n").map(String.init)
                    #expect(lines.first == ReportsController.csvHeader)
                    let rows = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
                    let column = Dictionary(uniqueKeysWithValues: ReportsController.csvColumns.enumerated().map { ($1, $0) })
                    func value(_ row: [String], _ name: String) -> String { row[column[name]!] }
                    let alice = rows.first { value($0, "row_type") == "user" && value($0, "user") == "alice" }
                    #expect(alice.map { value($0, "input_tokens") } == "900")
                    let bob = rows.first { value($0, "row_type") == "user" && value($0, "user") == "bob" }
                    #expect(bob.map { value($0, "unpriced_requests") } == "1")
                    #expect(bob.map { value($0, "cost_nano_usd") } == "0")
                    let model = rows.first { value($0, "row_type") == "model" && value($0, "model") == "my-private-model" }
                    #expect(model.map { value($0, "unpriced_requests") } == "1")
                    #expect(model.map { value($0, "user") } == "")
                    #expect(rows.last.map { value($0, "row_type") } == "total")
                    #expect(rows.last.map { value($0, "input_tokens") } == "910")
                }
            }
        }
    }

    @Test func reservationAtTheLimitIs429WithRetryAfter() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let quota = "{\"limits\":{\"tokens\":1000}}"
                try await client.execute(uri: "/v1/tenants/acme/quota/default", method: .put, headers: auth(adminKey), body: json(quota)) {
                    #expect($0.status == .ok)
                }
                let reserve = "{\"user\":\"carol\",\"model\":\"gpt-4o\",\"input_tokens\":800,\"max_output_tokens\":400}"
                try await client.execute(uri: "/v1/tenants/acme/reservations", method: .post, headers: auth(adminKey), body: json(reserve)) { response in
                    #expect(response.status == .tooManyRequests)
                    #expect(errorCode(response) == "quota_exceeded")
                    // 1,200 requested > 1,000: it can never fit, so there is no retry time.
                    #expect(response.headers[.retryAfter] == nil)
                    let limit = object(response)["limit"] as? [String: Any]
                    #expect(limit?["retry_at"] is NSNull)
                    #expect(limit?["level"] as? String == "user")
                    #expect(limit?["name"] as? String == "tokens")
                    #expect(limit?["limit"] as? Int == 1000)
                    #expect(limit?["requested"] as? Int == 1200)
                    #expect(limit?["remaining"] as? Int == 1000)
                }
                let small = "{\"user\":\"carol\",\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hello there\"}],\"max_output_tokens\":100}"
                let id: String = try await client.execute(
                    uri: "/v1/tenants/acme/reservations", method: .post, headers: auth(adminKey), body: json(small)
                ) { response in
                    #expect(response.status == .created)
                    return try #require(object(response)["reservation_id"] as? String)
                }
                try await client.execute(uri: "/v1/tenants/acme/reservations/\(id)", method: .delete, headers: auth(adminKey)) { response in
                    #expect(response.status == .noContent)
                }
                try await client.execute(
                    uri: "/v1/tenants/acme/quota/default", method: .put, headers: auth(adminKey), body: json("{\"limits\":{\"cost_usd\":1.5}}")
                ) { response in
                    #expect(response.status == .badRequest)
                }
                try await client.execute(
                    uri: "/v1/tenants/acme/quota/default", method: .put, headers: auth(adminKey),
                    body: json("{\"limits\":{\"cost_usd\":\"1.0000000001\"}}")
                ) { response in
                    #expect(response.status == .badRequest)
                }
            }
        }
    }

    @Test func tokenStatisticsOffStillCountsWhatLimitsRead() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                try await client.execute(
                    uri: "/v1/settings/metrics", method: .patch, headers: auth(adminKey), body: json("{\"token_statistics\":false}")
                ) { #expect($0.status == .ok) }
                let event = "{\"user\":\"dave\",\"event_id\":\"ev-1\",\"model\":\"gpt-4o\",\"usage\":{\"input_tokens\":10,\"output_tokens\":5}}"
                try await client.execute(uri: "/v1/tenants/t1/usage", method: .post, headers: auth(adminKey), body: json(event)) { response in
                    #expect(response.status == .ok)
                    #expect(object(response)["recorded"] as? Bool == true)
                }
                try await client.execute(uri: "/v1/tenants/t1/users/dave/usage", method: .get, headers: auth(adminKey)) { response in
                    let totals = object(response)["totals"] as? [String: Any]
                    #expect(totals?["requests"] as? Int == 1)
                    #expect(totals?["input_tokens"] as? Int == 10)
                    #expect(totals?["output_tokens"] as? Int == 5)
                    #expect(totals?["cost_nano_usd"] as? Int == 75_000)
                    #expect((object(response)["models"] as? [String: Any])?.isEmpty == true)
                }
            }
        }
    }

    @Test func batchKeepsOrderAndReportsPerItemErrors() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let batch = """
                    {"events":[
                      {"user":"erin","event_id":"b-1","model":"gpt-4o","usage":{"input_tokens":1,"output_tokens":1}},
                      {"event_id":"b-2","model":"gpt-4o","usage":{"input_tokens":1}},
                      {"user":"erin","event_id":"b-3","usage":{"input_tokens":"many"}},
                      {"user":"erin","event_id":"b-1","model":"gpt-4o","usage":{"input_tokens":1,"output_tokens":1}},
                      {"user":"erin","event_id":"b-5","provider":"anthropic","response":{"type":"message","model":"claude-sonnet-4-5","usage":{"input_tokens":7,"output_tokens":3}}}
                    ]}
                    """
                try await client.execute(uri: "/v1/tenants/t1/usage/batch", method: .post, headers: auth(adminKey), body: json(batch)) { response in
                    #expect(response.status == .ok)
                    let results = (object(response)["results"] as? [[String: Any]]) ?? []
                    #expect(results.count == 5)
                    guard results.count == 5 else { return }
                    #expect(results[0]["recorded"] as? Bool == true)
                    #expect((results[1]["error"] as? [String: Any])?["status"] as? Int == 400)
                    #expect((results[2]["error"] as? [String: Any])?["code"] as? String == "invalid_request")
                    #expect(results[3]["reason"] as? String == "duplicate")
                    #expect(results[4]["event_id"] as? String == "b-5")
                    #expect((results[4]["usage"] as? [String: Any])?["input_tokens"] as? Int == 7)
                }
                try await client.execute(uri: "/v1/tenants/t1/usage/batch", method: .post, headers: auth(adminKey), body: json("{\"events\":[]}")) {
                    #expect($0.status == .badRequest)
                }
                let tooMany = "{\"events\":[" + Array(repeating: "{}", count: 1001).joined(separator: ",") + "]}"
                try await client.execute(uri: "/v1/tenants/t1/usage/batch", method: .post, headers: auth(adminKey), body: json(tooMany)) {
                    #expect($0.status == .contentTooLarge)
                }
            }
        }
    }

    @Test func redisDownIs503WithRetryAfter() async throws {
        try await withQuotaApp { app, server in
            try await app.test(.router) { client in
                server.stop()
                try await client.execute(uri: "/readyz", method: .get) { response in
                    #expect(response.status == .serviceUnavailable)
                    #expect(errorCode(response) == "redis_unavailable")
                }
                try await client.execute(uri: "/v1/tenants/t1/users/u1/usage", method: .get, headers: auth(adminKey)) { response in
                    #expect(response.status == .serviceUnavailable)
                    #expect(response.headers[.retryAfter] == "1")
                    #expect(["redis_unavailable", "outcome_unknown"].contains(errorCode(response) ?? ""))
                }
            }
        }
    }

    @Test func failOpenReservationsAreGrantedAndCounted() async throws {
        try await withQuotaApp(failOpen: true) { app, server in
            try await app.test(.router) { client in
                server.stop()
                let reserve = "{\"user\":\"frank\",\"model\":\"gpt-4o\",\"input_tokens\":10,\"max_output_tokens\":10}"
                try await client.execute(uri: "/v1/tenants/t1/reservations", method: .post, headers: auth(adminKey), body: json(reserve)) { response in
                    #expect(response.status == .created)
                    #expect(object(response)["fail_open"] as? Bool == true)
                    #expect((object(response)["reservation_id"] as? String)?.hasPrefix("fo-") == true)
                }
                try await client.execute(uri: "/metrics", method: .get) { response in
                    #expect(text(response).contains("quotad_reservation_fail_open_total"))
                }
            }
        }
    }
}
