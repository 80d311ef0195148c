import Foundation
import HTTPTypes
@testable import QuotaGateway
import Testing
import TokenAccounting
import TokenQuota
import HummingbirdCore

/// The gateway's mapping, without a network: what it reads from a provider request, what it sends
/// upstream, how it relays a stream (byte for byte, less the usage chunk it asked for), the usage it keeps
/// for settlement, and the provider-format errors.
@Suite("Gateway mapping")
struct GatewayMappingTests {
    func call(_ body: String, _ route: GatewayRoute = .chatCompletions) throws -> GatewayCall {
        try GatewayCall(bytes: Array(body.utf8), route: route)
    }

    @Test func aChatCallIsForwardedAsSent() throws {
        let body = #"{"model":"gpt-4o","user":"ann+test@example.com","messages":[{"role":"user","content":"hi"}],"max_tokens":100}"#
        let read = try call(body)
        #expect(read.model == "gpt-4o")
        #expect(read.bodyUser == "ann+test@example.com")
        #expect(!read.stream && !read.injectedUsage)
        #expect(read.outputLimits == [OutputLimit(field: "max_tokens", value: 100)])
        #expect(read.messages.count == 1)
        #expect(read.upstreamBody == Array(body.utf8))
    }

    @Test func aChatStreamWithoutUsageGetsIncludeUsageAndNothingElseChanges() throws {
        let body = #"{ "model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}"#
        let read = try call(body)
        #expect(read.injectedUsage)
        let sent = String(decoding: read.upstreamBody, as: UTF8.self)
        #expect(sent == #"{"stream_options":{"include_usage":true}, "model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}"#)
    }

    @Test func streamOptionsThatSayNoAreRewrittenAndOnesThatSayYesAreKept() throws {
        let no = try call(#"{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":false},"messages":[]}"#)
        #expect(no.injectedUsage)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(no.upstreamBody)) as? [String: Any])
        #expect((object["stream_options"] as? [String: Any])?["include_usage"] as? Bool == true)
        let null = try call(#"{"model":"gpt-4o","stream":true,"stream_options":null,"messages":[]}"#)
        let rewritten = try #require(try JSONSerialization.jsonObject(with: Data(null.upstreamBody)) as? [String: Any])
        #expect((rewritten["stream_options"] as? [String: Any])?["include_usage"] as? Bool == true)
        let yes = #"{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[]}"#
        let kept = try call(yes)
        #expect(!kept.injectedUsage)
        #expect(kept.upstreamBody == Array(yes.utf8))
        // Only chat completions are rewritten: a Responses stream reports usage in response.completed.
        #expect(!(try call(#"{"model":"gpt-4o","stream":true,"input":"hi"}"#, .responses)).injectedUsage)
    }

    @Test func anthropicNamesItsUserInMetadataAndEmbeddingsHoldNoOutput() throws {
        let messages = try call(
            #"{"model":"claude-sonnet-4-5","max_tokens":50,"metadata":{"user_id":"carol"},"system":"be brief","messages":[{"role":"user","content":"hi"}]}"#,
            .messages)
        #expect(messages.bodyUser == "carol")
        #expect(messages.messages.count == 2)
        #expect(messages.outputLimits == [OutputLimit(field: "max_tokens", value: 50)])
        let embeddings = try call(#"{"model":"text-embedding-3-small","input":["a","b"],"user":"dan"}"#, .embeddings)
        #expect(embeddings.outputLimits == [OutputLimit(field: "embeddings", value: 0)])
        #expect(!embeddings.messages.isEmpty)
        let responses = try call(#"{"model":"gpt-4o","instructions":"x","input":"hi","max_output_tokens":7}"#, .responses)
        #expect(responses.outputLimits == [OutputLimit(field: "max_output_tokens", value: 7)])
        #expect(responses.messages.count == 2)
    }

    @Test func badBodiesAreFourHundredsNamingTheProblem() {
        for (body, needle) in [
            ("[1,2]", "JSON object"), ("not json", "JSON object"), (#"{"messages":[]}"#, "model"),
            (#"{"model":"gpt-4o","user":7}"#, "user"),
        ] {
            #expect {
                _ = try call(body)
            } throws: { error in
                guard let failure = error as? GatewayFailure else { return false }
                return failure.status == .badRequest && failure.message.contains(needle)
            }
        }
        // Found by the gateway fuzz target (Fuzz/Regressions/gateway/): a byte that is not UTF-8 or a raw control
        // character in a string, or a number with a leading zero, passed JSONDecoder and would have gone upstream.
        let invalidBodies = [0xFB, 0x00, 0x0A].map { Array(#"{"model":"gpt-4o","user":"d"#.utf8) + [$0] + Array(#"an"}"#.utf8) }
            + [Array(#"{"model":"gpt-4o","x":00}"#.utf8)]
        for invalid in invalidBodies {
            #expect {
                _ = try GatewayCall(bytes: invalid, route: .chatCompletions)
            } throws: { error in
                guard let failure = error as? GatewayFailure else { return false }
                return failure.status == .badRequest && failure.message.contains("not JSON text")
            }
        }
        // Escaped, and whitespace between members, are JSON.
        #expect(throws: Never.self) { _ = try call("{\n\t\"model\": \"gpt-4o\", \"user\": \"a\\n\\\"b\"}") }
    }

    @Test func errorsAreInEachProvidersFormat() throws {
        var headers = HTTPFields()
        headers[.retryAfter] = "12"
        let failure = GatewayFailure(.tooManyRequests, code: "quota_exceeded", "user tokens limit exceeded", headers: headers)
        let openai = failure.response(.openai)
        #expect(openai.status == .tooManyRequests)
        #expect(openai.headers[.retryAfter] == "12")
        let anthropic = failure.response(.anthropic)
        #expect(anthropic.headers[.contentType] == "application/json")
        #expect(GatewayFailure(.unauthorized, code: "x", "m").type == "authentication_error")
        #expect(GatewayFailure(.badGateway, code: "x", "m").type == "api_error")
        #expect(failure.type == "rate_limit_error")
    }

    @Test func theKeyIsReadWhereEachSDKSendsIt() {
        var headers = HTTPFields()
        headers[.authorization] = "Bearer qk_bearer"
        headers[HTTPField.Name("x-api-key")!] = "qk_header"
        #expect(GatewayController.presentedKey(headers, dialect: .openai) == "qk_bearer")
        #expect(GatewayController.presentedKey(headers, dialect: .anthropic) == "qk_header")
        headers[.authorization] = nil
        #expect(GatewayController.presentedKey(headers, dialect: .openai) == "qk_header")
        #expect(GatewayController.presentedKey(HTTPFields(), dialect: .anthropic) == nil)
    }
}
