import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
@testable import QuotaHTTP
import TokenAccounting
import TokenQuota
import Testing

/// The usage hot path: one-pass body decoding, directly written responses and `Prefer: return=minimal`
/// must answer exactly what the general path answers.
@Suite("Usage fast path")
struct UsageFastPathTests {
    static func fast(_ text: String) -> UsageRequest? {
        ByteBuffer(string: text).withUnsafeReadableBytes { UsageRequestFastDecoder.decode($0) }
    }

    static func strict(_ text: String) throws -> UsageRequest {
        try RequestBodyReader.decode(UsageRequest.self, from: ByteBuffer(string: text))
    }

    /// The members a request carries, for comparing the two decoders.
    static func summary(_ request: UsageRequest) -> String {
        let metadata = (request.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return [
            "\(request.user as Any)", "\(request.eventID as Any)", "\(request.provider as Any)", "\(request.model as Any)",
            "\(request.usage as Any)", "\(request.usageIsEstimate)", "\(request.reservationID as Any)",
            "\(request.latencyMilliseconds as Any)", "\(request.error as Any)", "\(request.metadata == nil)", "\(metadata)",
            "\(request.response as Any)", "\(request.messages == nil)", "\(request.outputText as Any)",
        ].joined(separator: "|")
    }

    @Test(arguments: [
        #"{"user":"u1","event_id":"ev-1","model":"gpt-4o","provider":"openai","usage":{"input_tokens":120,"cached_input_tokens":20,"output_tokens":40}}"#,
        #" { "user" : "ünï", "event_id":"e","usage":{ } , "latency_ms":0,"error":false,"metadata":{"a":"1","b":""},"reservation_id":"r-1" } "#,
        #"{"user":"u","event_id":"e","usage":{"input_tokens":-5,"cache_write_tokens":3,"cache_write_1h_tokens":1,"reasoning_tokens":2,"audio_input_tokens":9,"audio_output_tokens":8,"web_search_requests":7,"output_tokens":123456789012345678}}"#,
        #"{"event_id":"e","metadata":{},"error":true}"#,
        "{}",
    ])
    func fastDecoderAgreesWithTheStrictPath(body: String) throws {
        let fast = try #require(Self.fast(body))
        #expect(Self.summary(fast) == Self.summary(try Self.strict(body)))
    }

    @Test(arguments: [
        #"{"user":"a","user":"b"}"#, #"{"usr":"a"}"#, #"{"user":"a\"b"}"#, #"{"user":null}"#, #"{"latency_ms":1.0}"#,
        #"{"latency_ms":1e3}"#, #"{"latency_ms":01}"#, #"{"latency_ms":1234567890123456789}"#, #"{"usage":"estimate"}"#,
        #"{"messages":[]}"#, #"{"output_text":"x"}"#, #"{"usage":{"input_tokens":1,"input_tokens":2}}"#,
        #"{"usage":{"input_tokenz":1}}"#, #"{"metadata":{"a":"1","a":"2"}}"#, #"{"metadata":{"a":1}}"#, #"{"user":"a"} x"#,
        #"{"user":"a",}"#, #"{"user":"a""#, "", "[]", "{\"user\":\"a\u{01}\"}", #"{"us\u0065r":"a"}"#, #"{"error":tru}"#,
    ])
    func fastDecoderLeavesEverythingElseToTheStrictPath(body: String) {
        #expect(Self.fast(body) == nil)
    }

    /// The same JSON value, however it is spelled (raw as sent, or re-serialized by the strict path).
    static func value(_ body: ProviderResponseBody?) throws -> JSONFragment? {
        guard case .json(let bytes)? = body else { return nil }
        return try JSONDecoder().decode(JSONFragment.self, from: Data(bytes))
    }

    /// Parse once: a provider response reaches the parser as the bytes sent — the same JSON value the strict
    /// path gives — with the grammar, repeated keys and nesting checked on the way.
    @Test(arguments: [
        #"{"user":"u","event_id":"e","provider":"openai","response":{"id":"c","model":"gpt-4o","usage":{"prompt_tokens":12,"completion_tokens":3}}}"#,
        #"{"response":{}}"#,
        #"{"response":[1,-2.5,true,false,null,"x\n\"y\u00e9\ud83d\ude00",{"a":{"b":[[]]}}]}"#,
        #"{"response":{"choices":[{"message":{"content":"line\nnext \/ é"},"logprobs":null}],"temperature":1.0,"top_p":0.25}}"#,
    ])
    func providerResponsesPassThroughAsSent(body: String) throws {
        let fast = try #require(Self.fast(body))
        let strict = try Self.strict(body)
        guard case .json(let raw)? = fast.response else { Issue.record("not raw JSON: \(fast)"); return }
        let start = try #require(body.utf8.firstRange(of: Array(#""response":"#.utf8))).upperBound
        #expect(String(decoding: raw, as: UTF8.self) == String(body[start...].dropLast()), "the bytes as sent, not re-serialized")
        #expect(try Self.value(fast.response) == (try Self.value(strict.response)))
    }

    /// What the strict path must decide about a response (its error, or its exact value).
    @Test(arguments: [
        #"{"response":{"a":1,"a":2}}"#, #"{"response":{"a":{"b":1,"b":1}}}"#, #"{"response":{"n":1e3}}"#,
        #"{"response":{"n":12345678901234567890}}"#, #"{"response":{"s":"\ud800"}}"#, #"{"response":{"s":"\udc00x"}}"#,
        #"{"response":{"k\u0065y":1}}"#, #"{"response":{"a":01}}"#, #"{"response":{"a":1.}}"#, #"{"response":{"a":tru}}"#,
        #"{"response":{"a":1,}}"#, #"{"response":[1,]}"#, #"{"response":{"a":"\x"}}"#, "{\"response\":{\"a\":\"\u{01}\"}}",
        #"{"response":"with \n escape"}"#, #"{"response":null}"#, #"{"response":5}"#,
        "{\"response\":" + String(repeating: "[", count: 40) + String(repeating: "]", count: 40) + "}",
        #"{"response":{"#,
    ])
    func responsesTheStrictPathDecides(body: String) {
        #expect(Self.fast(body) == nil)
    }

    @Test func aResponseObjectWithManyKeysIsLeftToTheStrictPath() {
        let members = (0...64).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        #expect(Self.fast(#"{"response":{"# + members + "}}") == nil)
        let fewer = (0..<64).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        #expect(Self.fast(#"{"response":{"# + fewer + "}}") != nil)
    }

    @Test func strictErrorsAreUnchanged() throws {
        let cases: [(String, String)] = [
            (#"{"user":"a","user":"b","event_id":"e"}"#, "duplicate field 'user'"),
            (#"{"usage":{"input_tokenz":1}}"#, "unknown field 'usage.input_tokenz'"),
            (#"{"user":7}"#, "wrong type at user"),
        ]
        for (body, message) in cases {
            #expect(throws: APIError.self) { try RequestBodyReader.decodeUsage(from: ByteBuffer(string: body)) }
            do {
                _ = try RequestBodyReader.decodeUsage(from: ByteBuffer(string: body))
            } catch {
                #expect(error.message.contains(message), "\(body): \(error.message)")
            }
        }
        let escaped = try RequestBodyReader.decodeUsage(from: ByteBuffer(string: #"{"us\u0065r":"a\"b"}"#))
        #expect(escaped.user == "a\"b")
    }

    static func response(result: RecordResult?, reason: String? = nil, user: String = "alice") -> UsageResponse {
        UsageResponse(
            recorded: reason == nil, reason: reason, eventID: "ev-\"1\"\n\u{01}é", user: user, model: "gpt-4o",
            usage: TokenUsage(inputTokens: 120, cachedInputTokens: 20, outputTokens: 40, reasoningTokens: 3, webSearchRequests: 1),
            source: .reported, costNanoUSD: -12_345, priced: true, pricedAs: "gpt-4o", result: result
        )
    }

    static let results: [RecordResult?] = {
        let cycle = BillingCycle(id: "2026-11-01", start: Date(timeIntervalSince1970: 1_793_491_200), end: Date(timeIntervalSince1970: 1_796_083_200))
        let totals = UsageTotals(
            usage: TokenUsage(inputTokens: 5, cachedInputTokens: 1, cacheWriteTokens: 2, cacheWrite1hTokens: 1, outputTokens: 7, reasoningTokens: 2, audioInputTokens: 3, audioOutputTokens: 4, webSearchRequests: 6),
            requests: 9, errors: 1, costNanoUSD: Int.max, unpricedRequests: 2, estimatedRequests: 3
        )
        return [
            nil,
            RecordResult(recorded: true, cycle: cycle, totals: totals, reserved: ReservedAmounts(), limits: .unlimited, firstCostNanoUSD: 0),
            RecordResult(
                recorded: true, cycle: cycle, totals: totals, reserved: ReservedAmounts(tokens: 10, costNanoUSD: 20, requests: 1),
                limits: QuotaLimits(tokens: 3, costNanoUSD: nil, requests: 100), firstCostNanoUSD: 0, overLimit: [.user, .tenant]
            ),
        ]
    }()

    @Test func fullBodyIsByteIdenticalToTheFragment() {
        for result in Self.results {
            for reason in [nil, "duplicate"] {
                let response = Self.response(result: result, reason: reason)
                #expect(Array(response.fullJSON.readableBytesView) == response.fragment.serialized)
            }
        }
    }

    @Test func timestampsMatchFoundation() {
        var json = JSONByteWriter(capacity: 64)
        let dates = [0, 951_782_400, 1_709_164_800, 1_793_491_200, 4_102_444_799, 253_402_300_799].map { Date(timeIntervalSince1970: $0) }
            + [Date(timeIntervalSince1970: 1_700_000_000.5)]
        for date in dates {
            json.timestamp(date)
            #expect(String(buffer: json.buffer) == "\"\(date.formatted(.iso8601))\"")
            json = JSONByteWriter(capacity: 64)
        }
    }

    @Test func returnPreferenceFollowsRFC7240() {
        func preference(_ values: [String]) -> ReturnPreference {
            var fields = HTTPFields()
            fields[values: ReturnPreference.preferHeader] = values
            return ReturnPreference(fields)
        }
        #expect(preference([]) == .representation)
        #expect(preference(["return=minimal"]) == .minimal)
        #expect(preference(["respond-async, RETURN = \"minimal\"; foo=bar"]) == .minimal)
        #expect(preference(["wait=10", "return=minimal"]) == .minimal)
        #expect(preference(["return=representation", "return=minimal"]) == .representation)
        #expect(preference(["returns=minimal"]) == .representation)
    }

    @Test func preferReturnMinimalAnswersASmallBody() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let key = try await createKey(client, tenant: "acme").key
                let body = #"{"user":"alice","event_id":"ev-min","model":"gpt-4o","provider":"openai","usage":{"input_tokens":1000,"output_tokens":10}}"#
                var headers = auth(key)
                headers[ReturnPreference.preferHeader] = "return=minimal"
                headers[RequestIDMiddleware.header] = "req-minimal"
                let cost: Int = try await client.execute(uri: "/v1/tenants/acme/usage", method: .post, headers: headers, body: json(body)) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[ReturnPreference.appliedHeader] == "return=minimal")
                    #expect(response.headers[RequestIDMiddleware.header] == "req-minimal")
                    let answer = object(response)
                    #expect(Set(answer.keys) == ["cost_nano_usd", "event_id", "over_limit", "recorded"])
                    #expect(answer["recorded"] as? Bool == true)
                    #expect(answer["event_id"] as? String == "ev-min")
                    #expect((answer["over_limit"] as? [Any])?.isEmpty == true)
                    #expect(response.body.readableBytes < 120)
                    return try #require(answer["cost_nano_usd"] as? Int)
                }
                #expect(cost > 0)
                try await client.execute(uri: "/v1/tenants/acme/usage", method: .post, headers: headers, body: json(body)) { response in
                    let answer = object(response)
                    #expect(answer["recorded"] as? Bool == false)
                    #expect(answer["reason"] as? String == "duplicate")
                    #expect(answer["cost_nano_usd"] as? Int == cost)
                }
                // Without the preference: the full body, no Preference-Applied.
                try await client.execute(uri: "/v1/tenants/acme/usage", method: .post, headers: auth(key), body: json(body)) { response in
                    #expect(response.headers[ReturnPreference.appliedHeader] == nil)
                    let answer = object(response)
                    #expect(answer["reason"] as? String == "duplicate")
                    #expect((answer["totals"] as? [String: Any])?["requests"] as? Int == 1)
                    #expect(answer["user"] as? String == "alice")
                }
                // Errors are unchanged by the preference.
                try await client.execute(
                    uri: "/v1/tenants/acme/usage", method: .post, headers: headers, body: json(#"{"user":"a","event_id":"e","usag":{}}"#)
                ) { response in
                    #expect(response.status == .badRequest)
                    #expect(text(response).contains("unknown field 'usag'"))
                    #expect(response.headers[ReturnPreference.appliedHeader] == nil)
                }
            }
        }
    }

    /// The reservation answer written directly is byte-identical to its `JSONEncoder` encoding.
    @Test(arguments: [0.0, 1_795_500_000.0, 1_795_500_000.999, 1_795_500_000.5004, 253_402_300_799.25])
    func reservationAnswerBytesMatchTheEncoder(expiry: Double) throws {
        for (id, user, failOpen) in [("res:u1:r-1", "u1", false), ("failopen-0a1b", "user.with-dots_and:colons", true)] {
            let created = ReservationCreated(
                reservationID: id, user: user, model: "gpt-4o-2024-08-06", expiresAt: Date(timeIntervalSince1970: expiry),
                reserved: .init(tokens: 1500, costNanoUSD: 7_500_000), failOpen: failOpen
            )
            let encoded = try JSONResponse.encoder().encode(created)
            #expect(String(buffer: created.json) == String(decoding: encoded, as: UTF8.self))
        }
    }
}
