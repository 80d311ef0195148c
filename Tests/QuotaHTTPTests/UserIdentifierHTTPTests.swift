import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import QuotaHTTP
import Testing

/// User ids as apps have them (e-mail addresses with `+`, spaces, `/`, any script), percent-encoded in paths,
/// work end to end; `Idempotency-Key` names an event; provider-prefixed model names are one model.
@Suite struct UserIdentifierHTTPTests {
    private func encoded(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")) ?? value
    }

    private func body(_ object: [String: Any]) -> ByteBuffer {
        ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: object))
    }

    @Test func usersWithPlusSpacesSlashesAndAnyScriptRoundTrip() async throws {
        let users = ["ann+test@example.com", "Ann Smith", "team/ann", "Zoë 🚀 {x}"]
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let key = try await createKey(client, tenant: "acme").key
                for (index, user) in users.enumerated() {
                    let path = "/v1/tenants/acme/users/\(encoded(user))"
                    try await client.execute(uri: path + "/quota", method: .put, headers: auth(adminKey), body: json(#"{"limits":{"tokens":100000}}"#)) {
                        #expect($0.status == .ok, "\(user): \(String(buffer: $0.body))")
                    }
                    let usage: [String: Any] = ["user": user, "event_id": "e\(index)", "model": "gpt-4o", "usage": ["input_tokens": 100, "output_tokens": 10]]
                    try await client.execute(uri: "/v1/tenants/acme/usage", method: .post, headers: auth(key), body: body(usage)) {
                        #expect($0.status == .ok, "\(user): \(String(buffer: $0.body))")
                    }
                    // reserve, then commit through the granted id (which holds the user), percent-encoded in the path
                    let reserve: [String: Any] = ["user": user, "model": "gpt-4o", "input_tokens": 50, "max_output_tokens": 5, "reservation_id": "r\(index)"]
                    let id = try await client.execute(uri: "/v1/tenants/acme/reservations", method: .post, headers: auth(key), body: body(reserve)) { response in
                        #expect(response.status == .created, "\(user): \(String(buffer: response.body))")
                        return object(response)["reservation_id"] as? String ?? ""
                    }
                    #expect(id == "res:\(user):r\(index)")
                    try await client.execute(uri: "/v1/tenants/acme/reservations/\(encoded(id))/commit", method: .post, headers: auth(key),
                                             body: json(#"{"usage":{"input_tokens":40,"output_tokens":4}}"#)) {
                        #expect($0.status == .ok, "\(user): \(String(buffer: $0.body))")
                    }
                    try await client.execute(uri: path + "/usage", method: .get, headers: auth(key)) { response in
                        #expect(response.status == .ok)
                        let answer = object(response)
                        #expect(answer["user"] as? String == user)
                        let totals = answer["totals"] as? [String: Any]
                        #expect(totals?["input_tokens"] as? Int == 140 && totals?["requests"] as? Int == 2, "\(user): \(answer)")
                        #expect((answer["reserved"] as? [String: Any])?["tokens"] as? Int == 0)
                    }
                    try await client.execute(uri: "/v1/tenants/acme/usage/daily?user=\(encoded(user))", method: .get, headers: auth(key)) { response in
                        #expect(response.status == .ok, "\(user): \(String(buffer: response.body))")
                        let days = object(response)["days"] as? [[String: Any]] ?? []
                        let requests = days.compactMap { $0["requests"] as? Int }.reduce(0, +)
                        #expect(requests == 2, "\(user): \(days)")
                    }
                }
                try await client.execute(uri: "/v1/tenants/acme/reports/usage", method: .get, headers: auth(key)) { response in
                    let rows = object(response)["users"] as? [[String: Any]] ?? []
                    #expect(Set(rows.compactMap { $0["user"] as? String ?? $0["id"] as? String }) == Set(users), "\(rows)")
                }
                try await client.execute(uri: "/v1/tenants/acme/reports/usage?format=csv", method: .get, headers: auth(key)) { response in
                    let csv = String(buffer: response.body)
                    for user in users { #expect(csv.contains(user), "\(user) not in the CSV") }
                }
                try await client.execute(uri: "/v1/tenants/acme/events?limit=100", method: .get, headers: auth(key)) { response in
                    let lines = String(buffer: response.body).split(separator: "\n")
                    let seen = Set(lines.compactMap { line in
                        ((try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any])?["user"] as? String
                    })
                    #expect(seen == Set(users), "\(seen)")
                }
            }
        }
    }

    @Test func idsThatWouldBreakKeysOrRowsAreABadRequestSayingWhy() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let key = try await createKey(client, tenant: "acme").key
                for (user, reason) in [("a:b", "':' or '|'"), ("a|b", "':' or '|'"), ("a\u{7}b", "control characters"),
                                       (String(repeating: "x", count: 257), "1-256 bytes")] {
                    let usage: [String: Any] = ["user": user, "event_id": "e1", "model": "gpt-4o", "usage": ["input_tokens": 1]]
                    try await client.execute(uri: "/v1/tenants/acme/usage", method: .post, headers: auth(key), body: body(usage)) { response in
                        #expect(response.status == .badRequest)
                        let message = (object(response)["error"] as? [String: Any])?["message"] as? String ?? ""
                        #expect(message.contains(reason), "\(user.prefix(20)): \(message)")
                    }
                    try await client.execute(uri: "/v1/tenants/acme/users/\(encoded(user))/quota", method: .get, headers: auth(adminKey)) {
                        #expect($0.status == .badRequest)
                    }
                }
            }
        }
    }

    @Test func anIdempotencyKeyHeaderNamesTheEvent() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let key = try await createKey(client, tenant: "acme").key
                let usage = #"{"user":"ann","model":"gpt-4o","usage":{"input_tokens":10,"output_tokens":1}}"#
                var headers = auth(key)
                headers[HTTPField.Name("Idempotency-Key")!] = "call-77"
                for expected in [true, false] {
                    try await client.execute(uri: "/v1/tenants/acme/usage", method: .post, headers: headers, body: json(usage)) { response in
                        #expect(response.status == .ok, "\(String(buffer: response.body))")
                        #expect(object(response)["recorded"] as? Bool == expected)
                        #expect(object(response)["event_id"] as? String == "call-77")
                    }
                }
                let other = #"{"user":"ann","event_id":"call-78","model":"gpt-4o","usage":{"input_tokens":10}}"#
                try await client.execute(uri: "/v1/tenants/acme/usage", method: .post, headers: headers, body: json(other)) {
                    #expect($0.status == .badRequest)
                }
                try await client.execute(uri: "/v1/tenants/acme/usage", method: .post, headers: auth(key), body: json(usage)) { response in
                    #expect(response.status == .badRequest)
                    let message = (object(response)["error"] as? [String: Any])?["message"] as? String ?? ""
                    #expect(message.contains("Idempotency-Key") && message.contains("counts once"), "\(message)")
                }
            }
        }
    }

    @Test func aBatchIdempotencyKeyNamesEachItemWithoutAnID() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let key = try await createKey(client, tenant: "acme").key
                let batch = #"{"events":[{"user":"ann","model":"gpt-4o","usage":{"input_tokens":10}},{"user":"ann","event_id":"own-1","model":"gpt-4o","usage":{"input_tokens":20}},{"user":"bob","model":"gpt-4o","usage":{"input_tokens":30}}]}"#
                var headers = auth(key)
                headers[HTTPField.Name("Idempotency-Key")!] = "batch-9"
                // the retried batch counts once: every item is a duplicate the second time
                for expected in [true, false] {
                    try await client.execute(uri: "/v1/tenants/acme/usage/batch", method: .post, headers: headers, body: json(batch)) { response in
                        #expect(response.status == .ok, "\(String(buffer: response.body))")
                        let results = object(response)["results"] as? [[String: Any]] ?? []
                        #expect(results.map { $0["event_id"] as? String } == ["batch-9:0", "own-1", "batch-9:2"], "\(results)")
                        #expect(results.map { $0["recorded"] as? Bool } == [expected, expected, expected], "\(results)")
                    }
                }
                try await client.execute(uri: "/v1/tenants/acme/users/ann/usage", method: .get, headers: auth(key)) { response in
                    #expect((object(response)["totals"] as? [String: Any])?["input_tokens"] as? Int == 30)
                }
                // a key that would not leave room for ':<index>' is refused for the whole batch, naming the header
                headers[HTTPField.Name("Idempotency-Key")!] = String(repeating: "k", count: 196)
                try await client.execute(uri: "/v1/tenants/acme/usage/batch", method: .post, headers: headers, body: json(batch)) { response in
                    #expect(response.status == .badRequest)
                    let message = (object(response)["error"] as? [String: Any])?["message"] as? String ?? ""
                    #expect(message.contains("Idempotency-Key"), "\(message)")
                }
            }
        }
    }

    @Test func providerPrefixedModelNamesAreOneModel() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let key = try await createKey(client, tenant: "acme").key
                for (index, model) in ["openai/gpt-4o-mini", "gpt-4o-mini", "OpenAI/gpt-4o-mini"].enumerated() {
                    let usage = #"{"user":"ann","event_id":"p\#(index)","model":"\#(model)","usage":{"input_tokens":1000,"output_tokens":100}}"#
                    try await client.execute(uri: "/v1/tenants/acme/usage", method: .post, headers: auth(key), body: json(usage)) { response in
                        #expect(response.status == .ok)
                        #expect(object(response)["model"] as? String == "gpt-4o-mini", "\(model): \(String(buffer: response.body))")
                        #expect(object(response)["priced"] as? Bool == true)
                    }
                }
                try await client.execute(uri: "/v1/tenants/acme/users/ann/usage", method: .get, headers: auth(key)) { response in
                    let models = object(response)["models"] as? [String: Any] ?? [:]
                    #expect(Array(models.keys) == ["gpt-4o-mini"], "\(models.keys)")
                }
            }
        }
    }

    /// A provider's own usage object sent as `usage` is read by that provider's parser when its members say
    /// which provider's it is; otherwise the 400 says where it goes.
    @Test func aProviderUsageObjectSentAsUsageIsReadByItsProvidersParser() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let key = try await createKey(client, tenant: "acme").key
                let cases: [(usage: String, input: Int, cached: Int, output: Int)] = [
                    (#"{"prompt_tokens":10,"completion_tokens":2,"prompt_tokens_details":{"cached_tokens":4}}"#, 10, 4, 2),   // OpenAI chat
                    (#"{"input_tokens":10,"output_tokens":2,"input_tokens_details":{"cached_tokens":4}}"#, 10, 4, 2),        // OpenAI responses
                    (#"{"input_tokens":10,"cache_read_input_tokens":4,"output_tokens":2}"#, 14, 4, 2),                       // Anthropic
                    (#"{"promptTokenCount":10,"candidatesTokenCount":2,"totalTokenCount":12}"#, 10, 0, 2),                   // Gemini
                    (#"{"inputTokens":10,"outputTokens":2,"totalTokens":12}"#, 10, 0, 2),                                    // Bedrock Converse
                ]
                for (index, item) in cases.enumerated() {
                    let body = #"{"user":"ann","event_id":"u\#(index)","model":"gpt-4o","usage":\#(item.usage)}"#
                    try await client.execute(uri: "/v1/tenants/acme/usage", method: .post, headers: auth(key), body: json(body)) { response in
                        #expect(response.status == .ok, "\(item.usage): \(String(buffer: response.body))")
                        let usage = object(response)["usage"] as? [String: Any]
                        #expect(usage?["input_tokens"] as? Int == item.input && usage?["cached_input_tokens"] as? Int == item.cached
                            && usage?["output_tokens"] as? Int == item.output, "\(item.usage): \(usage ?? [:])")
                    }
                }
                // Members of two providers' shapes: ambiguous, so a 400 that says where the object goes.
                let ambiguous = #"{"user":"ann","event_id":"u9","model":"gpt-4o","usage":{"prompt_tokens":10,"promptTokenCount":3}}"#
                try await client.execute(uri: "/v1/tenants/acme/usage", method: .post, headers: auth(key), body: json(ambiguous)) { response in
                    #expect(response.status == .badRequest)
                    let message = (object(response)["error"] as? [String: Any])?["message"] as? String ?? ""
                    #expect(message.contains("goes in 'response'") && message.contains("input_tokens"), "\(message)")
                }
                // A misspelt canonical count is still refused, never read as something else.
                let typo = #"{"user":"ann","event_id":"u10","model":"gpt-4o","usage":{"input_tokenz":10}}"#
                try await client.execute(uri: "/v1/tenants/acme/usage", method: .post, headers: auth(key), body: json(typo)) {
                    #expect($0.status == .badRequest)
                }
            }
        }
    }
}
