import Foundation
import Hummingbird
import HummingbirdTesting
@testable import QuotaHTTP
import Testing
import TokenQuota

/// HTTP promises of "the shipped binary keeps every promise": unpriced models, 429 timing, estimates,
/// the CSV report and the metrics exposition. (The same promises run against the release binary in
/// tests/live/test_shipped_binary.py.)
@Suite("Shipped promises")
struct ShippedPromisesTests {
    static let costQuota = #"{"limits":{"cost_usd":"5.00"}}"#

    @Test func unpricedModelIsRefusedWhenACostLimitApplies() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let key = try await createKey(client, tenant: "acme").key
                try await client.execute(uri: "/v1/tenants/acme/users/capped/quota", method: .put, headers: auth(key), body: json(Self.costQuota)) {
                    #expect($0.status == .ok)
                }
                let usage = #"{"user":"capped","event_id":"u1","model":"my-private-model","usage":{"input_tokens":10}}"#
                try await client.execute(uri: "/v1/tenants/acme/usage", method: .post, headers: auth(key), body: json(usage)) { response in
                    #expect(response.status == .unprocessableContent)
                    #expect(errorCode(response) == "unpriced_model")
                    #expect((object(response)["error"] as? [String: Any])?["model"] as? String == "my-private-model")
                }
                let reserve = #"{"user":"capped","model":"my-private-model","input_tokens":10}"#
                try await client.execute(uri: "/v1/tenants/acme/reservations", method: .post, headers: auth(key), body: json(reserve)) { response in
                    #expect(response.status == .unprocessableContent)
                    #expect(errorCode(response) == "unpriced_model")
                }
                // Without a cost limit the call is recorded (counted as unpriced).
                let free = #"{"user":"uncapped","event_id":"u2","model":"my-private-model","usage":{"input_tokens":10}}"#
                try await client.execute(uri: "/v1/tenants/acme/usage", method: .post, headers: auth(key), body: json(free)) { response in
                    #expect(response.status == .ok)
                    #expect(object(response)["priced"] as? Bool == false)
                }
            }
        }
    }

    @Test func unpricedModelIsAllowedByPolicy() async throws {
        try await withQuotaApp(unpricedModels: .allow) { app, _ in
            try await app.test(.router) { client in
                let key = try await createKey(client, tenant: "acme").key
                try await client.execute(uri: "/v1/tenants/acme/users/capped/quota", method: .put, headers: auth(key), body: json(Self.costQuota)) {
                    #expect($0.status == .ok)
                }
                let usage = #"{"user":"capped","event_id":"u1","model":"my-private-model","usage":{"input_tokens":10}}"#
                try await client.execute(uri: "/v1/tenants/acme/usage", method: .post, headers: auth(key), body: json(usage)) { response in
                    #expect(response.status == .ok)
                }
            }
        }
    }

    @Test func rejectionAnswersWithAnISOResetAndDollars() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let key = try await createKey(client, tenant: "acme").key
                try await client.execute(uri: "/v1/tenants/acme/users/c/quota", method: .put, headers: auth(key), body: json(#"{"limits":{"cost_usd":"0.000001"}}"#)) {
                    #expect($0.status == .ok)
                }
                let reserve = #"{"user":"c","model":"gpt-4o","input_tokens":100000}"#
                try await client.execute(uri: "/v1/tenants/acme/reservations", method: .post, headers: auth(key), body: json(reserve)) { response in
                    #expect(response.status == .tooManyRequests)
                    // $0.25 of input and gpt-4o's most output (16,384 tokens, $0.16384) requested against a
                    // $0.000001 limit can never fit: no Retry-After, retry_at null.
                    #expect(response.headers[.retryAfter] == nil)
                    let limit = try #require(object(response)["limit"] as? [String: Any])
                    #expect(limit["retry_at"] is NSNull)
                    let resetsAt = try #require(limit["resets_at"] as? String)
                    #expect(ISO8601DateFormatter().date(from: resetsAt) != nil)
                    #expect(limit["limit_usd"] as? String == "0.000001")
                    #expect(limit["requested_usd"] as? String == "0.41384")
                }
            }
        }
    }

    @Test func commitWithEstimateRecordsAnEstimatedCall() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let key = try await createKey(client, tenant: "acme").key
                let reserve = #"{"user":"s","model":"gpt-4o","input_tokens":100,"max_output_tokens":100}"#
                let id: String = try await client.execute(uri: "/v1/tenants/acme/reservations", method: .post, headers: auth(key), body: json(reserve)) {
                    try #require(object($0)["reservation_id"] as? String)
                }
                let commit = #"{"usage":"estimate","messages":[{"role":"user","content":"hello world, how are you today?"}],"output_text":"fine, thanks"}"#
                try await client.execute(uri: "/v1/tenants/acme/reservations/\(id)/commit", method: .post, headers: auth(key), body: json(commit)) { response in
                    #expect(response.status == .ok)
                    #expect(object(response)["source"] as? String == "estimated")
                    let usage = try #require(object(response)["usage"] as? [String: Any])
                    #expect((usage["input_tokens"] as? Int ?? 0) > 0)
                    #expect((usage["output_tokens"] as? Int ?? 0) > 0)
                }
                try await client.execute(uri: "/v1/tenants/acme/users/s/usage", method: .get, headers: auth(key)) { response in
                    #expect((object(response)["totals"] as? [String: Any])?["estimated_requests"] as? Int == 1)
                }
                let bad = #"{"usage":"guess"}"#
                try await client.execute(uri: "/v1/tenants/acme/reservations/\(id)/commit", method: .post, headers: auth(key), body: json(bad)) {
                    #expect($0.status == .badRequest)
                }
            }
        }
    }

    @Test func csvReportHasRowTypesDollarsAndEveryField() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let key = try await createKey(client, tenant: "acme").key
                for (index, user) in ["ann", "bob"].enumerated() {
                    let usage = #"{"user":"\#(user)","event_id":"c\#(index)","model":"gpt-4o","usage":{"input_tokens":1000000,"output_tokens":1000}}"#
                    try await client.execute(uri: "/v1/tenants/acme/usage", method: .post, headers: auth(key), body: json(usage)) {
                        #expect($0.status == .ok)
                    }
                }
                try await client.execute(uri: "/v1/tenants/acme/reports/usage?format=csv", method: .get, headers: auth(key)) { response in
                    #expect(response.status == .ok)
                    let lines = text(response).split(separator: "\r\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
                    let header = try #require(lines.first)
                    for column in ["row_type", "tenant", "cycle", "cost_usd", "cache_write_1h_tokens", "estimated_requests", "total_tokens"] {
                        #expect(header.contains(column), "missing column \(column)")
                    }
                    let type = try #require(header.firstIndex(of: "row_type"))
                    let nano = try #require(header.firstIndex(of: "cost_nano_usd"))
                    let usd = try #require(header.firstIndex(of: "cost_usd"))
                    let rows = lines.dropFirst()
                    let userSum = rows.filter { $0[type] == "user" }.compactMap { Int($0[nano]) }.reduce(0, +)
                    let total = try #require(rows.last { $0[type] == "total" })
                    #expect(userSum == Int(total[nano]))
                    #expect(userSum == 2 * 2_510_000_000)
                    #expect(total[usd] == "5.02")
                    #expect(rows.allSatisfy { $0[header.firstIndex(of: "tenant")!] == "acme" })
                }
            }
        }
    }

    @Test func metricsHaveHelpBoundedModelLabelsAndProcessMetrics() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let key = try await createKey(client, tenant: "acme").key
                let usage = #"{"user":"m","event_id":"m1","model":"zz-unknown-model-123","usage":{"input_tokens":5}}"#
                try await client.execute(uri: "/v1/tenants/acme/usage", method: .post, headers: auth(key), body: json(usage)) {
                    #expect($0.status == .ok)
                }
                try await client.execute(uri: "/metrics", method: .get) { response in
                    let exposition = text(response)
                    let lines = exposition.split(separator: "\n")
                    let types = lines.filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ")[2] }
                    let helps = Set(lines.filter { $0.hasPrefix("# HELP ") }.map { $0.split(separator: " ")[2] })
                    #expect(!types.isEmpty)
                    for family in types { #expect(helps.contains(family), "no HELP for \(family)") }
                    #expect(!exposition.contains("zz-unknown-model-123"))
                    #expect(exposition.contains("model=\"other\""))
                    #expect(exposition.contains("process_resident_memory_bytes "))
                    #expect(exposition.contains("process_cpu_seconds_total "))
                    #expect(!lines.contains { !$0.hasPrefix("#") && $0.split(separator: " ").last?.hasPrefix("-") == true })
                }
            }
        }
    }
}
