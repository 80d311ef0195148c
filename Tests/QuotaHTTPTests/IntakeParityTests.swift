import AsyncRedis
import EmbeddedRedis
import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import Logging
import QuotaHTTP
import Testing
import TokenAccounting
import TokenQuota

/// The library's callback handler and the HTTP API take the same calls the same way: one planner and one
/// unpriced-model rule (``ReservationPlanner``, ``UnpricedModelGuard``), so the same input gets the same hold,
/// the same refusal and the same totals. Before, `onLLMStart` held the base price (HTTP: the pessimistic
/// reservation price), held 0 output without a limit, reserved only for users with limits of their own and
/// had no unpriced-model rule: a library user got through a cost cap an HTTP user could not.
@Suite struct IntakeParityTests {
    struct Call {
        var id: String
        var model: String
        var inputTokens: Int?
        var messages: [ChatMessage] = []
        var maxOutputTokens: Int?

        var httpBody: String {
            var body: [String: Any] = ["user": "ann", "model": model, "reservation_id": id]
            if let inputTokens { body["input_tokens"] = inputTokens }
            if !messages.isEmpty { body["messages"] = messages.map { ["role": $0.role, "content": $0.content] } }
            if let maxOutputTokens { body["max_output_tokens"] = maxOutputTokens }
            return String(decoding: try! JSONSerialization.data(withJSONObject: body), as: UTF8.self)
        }

        func start(tenant: String) -> LLMCallStart {
            LLMCallStart(callID: id, tenant: tenant, user: "ann", model: model, messages: messages,
                         estimatedInputTokens: inputTokens, maxOutputTokens: maxOutputTokens)
        }
    }

    enum Outcome: Equatable {
        case held
        case overLimit(level: String, limit: String)
        case unpriced
    }

    @Test func theLibraryAndTheHTTPAPIHoldRefuseAndCountTheSame() async throws {
        try await withAppAndRedis(compare)
    }

    /// Runs `body` with a quotad application and a second client of its Redis (for the library's handler).
    private func withAppAndRedis(_ body: @Sendable (QuotaApplication, RedisClient) async throws -> Void) async throws {
        try await withQuotaApp { app, server in
            var configuration = try RedisConfiguration(url: server.url)
            configuration.commandTimeout = .seconds(5)
            let redis = RedisClient(configuration: configuration, logger: Logger(label: "test.redis"))
            try await redis.waitUntilConnected(timeout: .seconds(5))
            do {
                try await body(app, redis)
                await redis.shutdown()
            } catch {
                await redis.shutdown()
                throw error
            }
        }
    }

    private func compare(_ app: QuotaApplication, _ redis: RedisClient) async throws {
        let repository = RedisQuotaRepository(
            client: redis, settings: RepositorySettings(quotaCacheMilliseconds: 0), logger: Logger(label: "test.quota"))
        let handler = RedisUsageCallbackHandler(repository: repository, logger: Logger(label: "test.handler"))

        try await app.test(.router) { client in
            let key = try await createKey(client, tenant: "http").key
            // The same quotas on both tenants: ann 40,000 tokens; the tenant $1 (a cost limit above ann).
            for tenant in ["http", "lib"] {
                for (path, body) in [
                    ("users/ann/quota", #"{"limits":{"tokens":40000}}"#),
                    ("quota/tenant", #"{"limits":{"cost_usd":"1.00"}}"#),
                ] {
                    try await client.execute(uri: "/v1/tenants/\(tenant)/\(path)", method: .put, headers: auth(adminKey), body: json(body)) {
                        #expect($0.status == .ok, "\(tenant) \(path): \(String(buffer: $0.body))")
                    }
                }
            }
            func viaHTTP(_ call: Call) async throws -> Outcome {
                try await client.execute(uri: "/v1/tenants/http/reservations", method: .post, headers: auth(key), body: json(call.httpBody)) { response in
                    let answer = object(response)
                    let error = answer["error"] as? [String: Any]
                    switch response.status {
                    case .created: return .held
                    case .tooManyRequests:
                        let limit = answer["limit"] as? [String: Any]
                        return .overLimit(level: limit?["level"] as? String ?? "?", limit: limit?["name"] as? String ?? "?")
                    case .unprocessableContent where error?["code"] as? String == "unpriced_model": return .unpriced
                    default:
                        Issue.record("unexpected \(response.status): \(String(buffer: response.body))")
                        return .held
                    }
                }
            }
            func viaLibrary(_ call: Call) async throws -> Outcome {
                do {
                    try await handler.onLLMStart(call.start(tenant: "lib"))
                    return .held
                } catch let error as QuotaExceededError {
                    return .overLimit(level: error.rejection.level.rawValue, limit: error.rejection.limit.rawValue)
                } catch let error as QuotaError where error.code == .unpricedModel {
                    return .unpriced
                }
            }
            func reserved(_ tenant: String) async throws -> ReservedAmounts {
                try await repository.usage(tenant: tenant, user: "ann", cycleID: nil, now: Date()).reserved
            }

            let calls = [
                // messages estimated with the model's tokenizer family, an explicit output limit
                Call(id: "c1", model: "gpt-4o", messages: [ChatMessage(role: "user", content: "Hello there, how are you today?")], maxOutputTokens: 500),
                // no output limit: the model's most output from the price list (gpt-4o: 16,384), priced pessimistically
                Call(id: "c2", model: "gpt-4o", inputTokens: 1_000),
                Call(id: "c3", model: "claude-sonnet-4-5", inputTokens: 2_000, maxOutputTokens: 1_000),
                // a model without a price while the tenant has a cost limit
                Call(id: "c4", model: "my-private-finetune", inputTokens: 10, maxOutputTokens: 10),
                // more than ann's token limit
                Call(id: "c5", model: "gpt-4o", inputTokens: 50_000, maxOutputTokens: 1),
            ]
            for call in calls {
                let http = try await viaHTTP(call)
                let library = try await viaLibrary(call)
                #expect(http == library, "\(call.id): HTTP \(http), library \(library)")
                let (httpHeld, libraryHeld) = (try await reserved("http"), try await reserved("lib"))
                #expect(httpHeld == libraryHeld, "\(call.id): held over HTTP \(httpHeld), by the library \(libraryHeld)")
            }
            #expect(try await viaHTTP(calls[3]) == .unpriced)
            #expect(try await viaHTTP(calls[4]) == .overLimit(level: "user", limit: "tokens"))
            let held = try await reserved("lib")
            #expect(held.requests == 3)
            #expect(held.tokens > 1_000 + 16_384 + 3_000)

            // The same usage committed on both paths settles the holds and counts the same totals.
            let counts = TokenUsage(inputTokens: 900, cachedInputTokens: 100, outputTokens: 300)
            for call in calls.prefix(3) {
                let commit = #"{"user":"ann","model":"\#(call.model)","usage":{"input_tokens":900,"cached_input_tokens":100,"output_tokens":300}}"#
                try await client.execute(uri: "/v1/tenants/http/reservations/\(call.id)/commit", method: .post, headers: auth(key), body: json(commit)) {
                    #expect($0.status == .ok, "\(call.id): \(String(buffer: $0.body))")
                }
                try await handler.onLLMEnd(LLMCallEnd(start: call.start(tenant: "lib"), output: .usage(counts)))
            }
            let httpUsage = try await repository.usage(tenant: "http", user: "ann", cycleID: nil, now: Date())
            let libraryUsage = try await repository.usage(tenant: "lib", user: "ann", cycleID: nil, now: Date())
            #expect(httpUsage.totals.usage == libraryUsage.totals.usage)
            #expect(httpUsage.totals.costNanoUSD == libraryUsage.totals.costNanoUSD)
            #expect(httpUsage.totals.requests == 3 && libraryUsage.totals.requests == 3)
            #expect(httpUsage.reserved == ReservedAmounts() && libraryUsage.reserved == ReservedAmounts())
        }
    }

    /// Usage without a reservation: the same provider body, the same counts and the same refusals on both paths.
    @Test func usageIsReadPricedAndRefusedTheSameOnBothPaths() async throws {
        try await withAppAndRedis(compareUsage)
    }

    private func compareUsage(_ app: QuotaApplication, _ redis: RedisClient) async throws {
        let repository = RedisQuotaRepository(
            client: redis, settings: RepositorySettings(quotaCacheMilliseconds: 0), logger: Logger(label: "test.quota"))
        let handler = RedisUsageCallbackHandler(repository: repository, logger: Logger(label: "test.handler"))
        let body = #"{"id":"c1","object":"chat.completion","model":"gpt-4o-2024-08-06","choices":[],"usage":{"prompt_tokens":1000,"completion_tokens":200,"total_tokens":1200,"prompt_tokens_details":{"cached_tokens":400}}}"#
        try await app.test(.router) { client in
            let key = try await createKey(client, tenant: "http").key
            for tenant in ["http", "lib"] {
                try await client.execute(uri: "/v1/tenants/\(tenant)/quota/tenant", method: .put, headers: auth(adminKey), body: json(#"{"limits":{"cost_usd":"1.00"}}"#)) {
                    #expect($0.status == .ok)
                }
            }
            func post(_ text: String) async throws -> (HTTPResponse.Status, String?) {
                try await client.execute(uri: "/v1/tenants/http/usage", method: .post, headers: auth(key), body: json(text)) {
                    ($0.status, errorCode($0))
                }
            }
            // The provider's body: the response's dated snapshot is recorded and priced on both paths.
            #expect(try await post(#"{"user":"ann","event_id":"e1","provider":"openai","response":\#(body)}"#).0 == .ok)
            let start = LLMCallStart(callID: "e1", tenant: "lib", user: "ann", provider: .openai, model: "gpt-4o")
            try await handler.onLLMEnd(LLMCallEnd(start: start, output: .responseBody(Array(body.utf8))))
            // A model without a price under the tenant's cost limit: refused on both paths, nothing recorded.
            #expect(try await post(#"{"user":"ann","event_id":"e2","model":"my-private-finetune","usage":{"input_tokens":10,"output_tokens":5}}"#)
                == (.unprocessableContent, "unpriced_model"))
            let unpriced = LLMCallStart(callID: "e2", tenant: "lib", user: "ann", model: "my-private-finetune")
            await #expect(throws: QuotaError.self) {
                try await handler.onLLMEnd(LLMCallEnd(start: unpriced, output: .usage(TokenUsage(inputTokens: 10, outputTokens: 5))))
            }
            // Counts that cannot be: a 400 over HTTP, an invalid argument in the library.
            #expect(try await post(#"{"user":"ann","event_id":"e3","model":"gpt-4o","usage":{"input_tokens":10,"cached_input_tokens":20}}"#).0 == .badRequest)
            let impossible = LLMCallStart(callID: "e3", tenant: "lib", user: "ann", model: "gpt-4o")
            do {
                try await handler.onLLMEnd(LLMCallEnd(start: impossible, output: .usage(TokenUsage(inputTokens: 10, cachedInputTokens: 20))))
                Issue.record("impossible counts were recorded")
            } catch let error as QuotaError {
                #expect(error.code == .invalidArgument)
            }
            let http = try await repository.usage(tenant: "http", user: "ann", cycleID: nil, now: Date())
            let library = try await repository.usage(tenant: "lib", user: "ann", cycleID: nil, now: Date())
            #expect(http.totals.usage == TokenUsage(inputTokens: 1000, cachedInputTokens: 400, outputTokens: 200))
            #expect(http.totals.usage == library.totals.usage)
            #expect(http.totals.costNanoUSD == library.totals.costNanoUSD && http.totals.costNanoUSD == 4_000_000)
            #expect(http.models.keys.sorted() == ["gpt-4o-2024-08-06"] && library.models.keys.sorted() == ["gpt-4o-2024-08-06"])
            #expect(http.totals.requests == 1 && library.totals.requests == 1)
        }
    }
}
