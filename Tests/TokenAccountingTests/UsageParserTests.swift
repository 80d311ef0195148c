import Foundation
import Testing
import TokenAccounting

// MARK: - Shared fixture loading (also used by UsageFuzzTests)

/// One entry of `shared/fixtures/provider_payloads.json`, ready to feed to the parser.
struct ProviderFixture: Sendable, CustomTestStringConvertible {
    /// One event of a recorded stream.
    struct StreamEvent: Sendable {
        var name: String?
        var data: [UInt8]
    }

    var id: String
    var provider: Provider
    /// The body exactly as the fixture holds it, serialized with sorted keys (deterministic bytes).
    var body: [UInt8]
    var expected: TokenUsage
    /// The model the body names (top level, or in the first stream event), if any.
    var expectedModel: String?
    /// The stream's events when the body is a recorded stream (`sse_events` / `sse_data_events`).
    var streamEvents: [StreamEvent]?
    /// Whether the stream is OpenAI-style (data-only events ending in `data: [DONE]`).
    var streamEndsWithDone: Bool

    var testDescription: String { id }

    /// The stream as raw `text/event-stream` text.
    func sseText(lineEnding: String = "\n") -> String? {
        guard let streamEvents else { return nil }
        var text = ""
        for event in streamEvents {
            if let name = event.name { text += "event: \(name)\(lineEnding)" }
            text += "data: \(String(decoding: event.data, as: UTF8.self))\(lineEnding)\(lineEnding)"
        }
        if streamEndsWithDone { text += "data: [DONE]\(lineEnding)\(lineEnding)" }
        return text
    }

    /// The stream as a JSON array of its events' data objects (Gemini REST streaming style).
    func jsonArrayOfEvents() -> String? {
        guard let streamEvents else { return nil }
        return "[" + streamEvents.map { String(decoding: $0.data, as: UTF8.self) }.joined(separator: ",\n") + "]"
    }
}

struct FixtureError: Error, CustomStringConvertible {
    var description: String
}

enum ProviderFixtures {
    static let relativePath = "shared/fixtures/provider_payloads.json"

    /// Walks up from this source file to the directory holding `shared/fixtures/provider_payloads.json`.
    static func locate(from file: String = #filePath) throws -> URL {
        var directory = URL(fileURLWithPath: file).deletingLastPathComponent()
        while directory.path != "/" && !directory.path.isEmpty {
            let candidate = directory.appendingPathComponent(relativePath)
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        throw FixtureError(description: "\(relativePath) not found in any directory above \(file)")
    }

    private struct Metadata: Decodable {
        struct Expected: Decodable {
            var input_tokens: Int
            var output_tokens: Int
            var cached_input_tokens: Int
            var cache_write_tokens: Int
            var reasoning_tokens: Int
        }
        struct Extra: Decodable {
            var cache_write_1h_tokens: Int?
            var cache_write_5m_tokens: Int?
        }
        var id: String
        var provider: String
        var expected: Expected
        var expected_extra: Extra?
    }

    /// Loads every entry; throws (so tests fail, never skip) when the file is missing or malformed.
    static func load() throws -> [ProviderFixture] {
        let data = try Data(contentsOf: locate())
        let metadata = try JSONDecoder().decode([Metadata].self, from: data)
        guard let raw = try JSONSerialization.jsonObject(with: data) as? [[String: Any]], raw.count == metadata.count else {
            throw FixtureError(description: "provider_payloads.json is not an array of objects")
        }
        return try zip(metadata, raw).map { meta, entry in
            let provider = Provider(rawValue: meta.provider)
            guard Provider.known.contains(provider) else {
                throw FixtureError(description: "\(meta.id): unknown provider \(meta.provider)")
            }
            guard let body = entry["body"] as? [String: Any] else {
                throw FixtureError(description: "\(meta.id): body is not an object")
            }
            var streamEvents: [ProviderFixture.StreamEvent]?
            var endsWithDone = false
            var firstEventData: [String: Any]?
            if let recorded = body["sse_events"] as? [[String: Any]] {
                streamEvents = try recorded.map { event in
                    guard let payload = event["data"] as? [String: Any] else {
                        throw FixtureError(description: "\(meta.id): sse_events element without data object")
                    }
                    firstEventData = firstEventData ?? payload
                    return .init(name: event["event"] as? String, data: try serialize(payload))
                }
            } else if let recorded = body["sse_data_events"] as? [[String: Any]] {
                streamEvents = try recorded.map { .init(name: nil, data: try serialize($0)) }
                firstEventData = recorded.first
                endsWithDone = true
            }
            let extra = meta.expected_extra
            if let oneHour = extra?.cache_write_1h_tokens, let fiveMinutes = extra?.cache_write_5m_tokens,
                oneHour + fiveMinutes != meta.expected.cache_write_tokens
            {
                throw FixtureError(description: "\(meta.id): the 5m/1h split does not add up to cache_write_tokens")
            }
            let expected = TokenUsage(
                inputTokens: meta.expected.input_tokens,
                cachedInputTokens: meta.expected.cached_input_tokens,
                cacheWriteTokens: meta.expected.cache_write_tokens,
                cacheWrite1hTokens: extra?.cache_write_1h_tokens ?? 0,
                outputTokens: meta.expected.output_tokens,
                reasoningTokens: meta.expected.reasoning_tokens
            )
            let firstMessage = firstEventData?["message"] as? [String: Any]
            let expectedModel =
                body["model"] as? String ?? body["modelVersion"] as? String
                ?? firstEventData?["model"] as? String ?? firstMessage?["model"] as? String
            return ProviderFixture(
                id: meta.id,
                provider: provider,
                body: try serialize(body),
                expected: expected,
                expectedModel: expectedModel,
                streamEvents: streamEvents,
                streamEndsWithDone: endsWithDone
            )
        }
    }

    static func serialize(_ object: Any) throws -> [UInt8] {
        Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }

    /// The provider the parser reports when it detects the format itself.
    static func detectedProvider(for provider: Provider) -> Provider {
        switch provider {
        case .azureOpenAI, .mistral, .openaiCompatible: .openai
        default: provider
        }
    }
}

// MARK: - Tests

@Suite struct UsageParserTests {
    // MARK: Fixtures

    @Test func fixtureFileIsPresentAndCoversEveryProvider() throws {
        let fixtures = try ProviderFixtures.load()
        #expect(fixtures.count >= 10)
        let providers = Set(fixtures.map(\.provider))
        #expect(providers == [.openai, .azureOpenAI, .mistral, .anthropic, .awsBedrock, .googleGemini])
        #expect(fixtures.contains { $0.streamEvents != nil })
    }

    @Test func everyFixtureParsesWithItsProvider() throws {
        for fixture in try ProviderFixtures.load() {
            let record = try UsageParser.parse(fixture.body, provider: fixture.provider)
            #expect(record.usage == fixture.expected, "\(fixture.id)")
            #expect(record.provider == fixture.provider, "\(fixture.id)")
            #expect(record.source == .reported, "\(fixture.id)")
            #expect(record.model == fixture.expectedModel, "\(fixture.id)")
        }
    }

    @Test func everyFixtureParsesWithTheProviderDetected() throws {
        for fixture in try ProviderFixtures.load() {
            let record = try UsageParser.parse(fixture.body)
            #expect(record.usage == fixture.expected, "\(fixture.id)")
            #expect(record.provider == ProviderFixtures.detectedProvider(for: fixture.provider), "\(fixture.id)")
            #expect(record.model == fixture.expectedModel, "\(fixture.id)")
        }
    }

    @Test func everyStreamingFixtureParsesAsServerSentEvents() throws {
        let streams = try ProviderFixtures.load().filter { $0.streamEvents != nil }
        #expect(streams.count >= 2)
        for fixture in streams {
            for lineEnding in ["\n", "\r\n"] {
                let text = try #require(fixture.sseText(lineEnding: lineEnding))
                for provider in [fixture.provider, nil] {
                    let record = try UsageParser.parse(text, provider: provider)
                    #expect(record.usage == fixture.expected, "\(fixture.id) provider \(String(describing: provider))")
                    #expect(record.model == fixture.expectedModel, "\(fixture.id)")
                }
            }
        }
    }

    @Test func everyStreamingFixtureParsesAsAJSONArrayOfEvents() throws {
        for fixture in try ProviderFixtures.load() where fixture.streamEvents != nil {
            let text = try #require(fixture.jsonArrayOfEvents())
            for provider in [fixture.provider, nil] {
                let record = try UsageParser.parse(text, provider: provider)
                #expect(record.usage == fixture.expected, "\(fixture.id)")
            }
        }
    }

    @Test func fixtureParsesTheSameAsStringAndBytes() throws {
        for fixture in try ProviderFixtures.load() {
            let fromBytes = try UsageParser.parse(fixture.body, provider: fixture.provider)
            let fromString = try UsageParser.parse(String(decoding: fixture.body, as: UTF8.self), provider: fixture.provider)
            #expect(fromBytes == fromString, "\(fixture.id)")
        }
    }

    // MARK: OpenAI

    @Test func openAIChatNullDetailsCountAsZero() throws {
        let body = """
            {"object":"chat.completion","model":"gpt-4o","usage":{"prompt_tokens":10,"completion_tokens":5,
             "prompt_tokens_details":null,"completion_tokens_details":{"reasoning_tokens":null,"audio_tokens":null}}}
            """
        let record = try UsageParser.parse(body)
        #expect(record.usage == TokenUsage(inputTokens: 10, outputTokens: 5))
        #expect(record.provider == .openai)
    }

    @Test func openAIChatCachedAndReasoningAreSubsets() throws {
        let body = """
            {"usage":{"prompt_tokens":2000,"completion_tokens":300,"total_tokens":2300,
             "prompt_tokens_details":{"cached_tokens":1920},"completion_tokens_details":{"reasoning_tokens":256}}}
            """
        let record = try UsageParser.parse(body, provider: .azureOpenAI)
        #expect(record.usage == TokenUsage(inputTokens: 2000, cachedInputTokens: 1920, outputTokens: 300, reasoningTokens: 256))
        #expect(record.provider == .azureOpenAI)
        #expect(record.model == nil)
    }

    @Test func openAIChatStreamWithNullUsageOnEveryChunkTakesTheFinalOne() throws {
        let body = """
            data: {"object":"chat.completion.chunk","model":"gpt-4o-mini","choices":[{"delta":{"content":"Hi"}}],"usage":null}

            data: {"object":"chat.completion.chunk","model":"gpt-4o-mini","choices":[{"delta":{},"finish_reason":"stop"}],"usage":null}

            data: {"object":"chat.completion.chunk","model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2}}

            data: [DONE]

            """
        let record = try UsageParser.parse(body, provider: .openaiCompatible)
        #expect(record.usage == TokenUsage(inputTokens: 9, outputTokens: 2))
        #expect(record.model == "gpt-4o-mini")
    }

    @Test func openAIChatStreamWithoutUsageIsNoUsage() throws {
        let body = """
            data: {"object":"chat.completion.chunk","model":"gpt-4o","choices":[{"delta":{"content":"Hi"}}]}

            data: [DONE]

            """
        let error = #expect(throws: UsageParseError.self) { try UsageParser.parse(body) }
        #expect(error?.code == .noUsage)
        let withProvider = #expect(throws: UsageParseError.self) { try UsageParser.parse(body, provider: .mistral) }
        #expect(withProvider?.code == .noUsage)
    }

    @Test func openAIResponsesNonStreaming() throws {
        let body = """
            {"id":"resp_1","object":"response","model":"o4-mini-2025-04-16","output":[{"type":"message"}],
             "usage":{"input_tokens":1200,"input_tokens_details":{"cached_tokens":1024},"output_tokens":300,
                      "output_tokens_details":{"reasoning_tokens":200},"total_tokens":1500}}
            """
        for provider in [Provider.openai, .azureOpenAI, nil] {
            let record = try UsageParser.parse(body, provider: provider)
            #expect(record.usage == TokenUsage(inputTokens: 1200, cachedInputTokens: 1024, outputTokens: 300, reasoningTokens: 200))
            #expect(record.model == "o4-mini-2025-04-16")
            #expect(record.provider == provider ?? .openai)
        }
    }

    @Test func openAIResponsesStreamingReadsResponseCompleted() throws {
        let body = """
            event: response.created
            data: {"type":"response.created","sequence_number":0,"response":{"id":"resp_1","object":"response","model":"gpt-5","status":"in_progress","usage":null}}

            event: response.output_text.delta
            data: {"type":"response.output_text.delta","sequence_number":1,"delta":"Hello"}

            event: response.completed
            data: {"type":"response.completed","sequence_number":2,"response":{"id":"resp_1","object":"response","model":"gpt-5","status":"completed","usage":{"input_tokens":50,"input_tokens_details":{"cached_tokens":10},"output_tokens":40,"output_tokens_details":{"reasoning_tokens":5},"total_tokens":90}}}

            """
        let record = try UsageParser.parse(body)
        #expect(record.usage == TokenUsage(inputTokens: 50, cachedInputTokens: 10, outputTokens: 40, reasoningTokens: 5))
        #expect(record.model == "gpt-5")
        #expect(record.provider == .openai)

        let completed = try #require(body.range(of: "event: response.completed"))
        let truncated = String(body[..<completed.lowerBound])
        let error = #expect(throws: UsageParseError.self) { try UsageParser.parse(truncated, provider: .openai) }
        #expect(error?.code == .noUsage)
    }

    // MARK: Anthropic

    @Test func anthropicStreamingReplacesInsteadOfAdding() throws {
        let body = """
            event: message_start
            data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"usage":{"input_tokens":100,"cache_read_input_tokens":50,"cache_creation_input_tokens":20,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":20},"output_tokens":1}}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}

            event: message_delta
            data: {"type":"message_delta","delta":{"stop_reason":null},"usage":{"output_tokens":10}}

            event: message_delta
            data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"input_tokens":120,"cache_read_input_tokens":null,"output_tokens":25}}

            event: message_stop
            data: {"type":"message_stop"}

            """
        let expected = TokenUsage(inputTokens: 190, cachedInputTokens: 50, cacheWriteTokens: 20, cacheWrite1hTokens: 20, outputTokens: 25)
        for provider in [Provider.anthropic, .awsBedrock, nil] {
            let record = try UsageParser.parse(body, provider: provider)
            #expect(record.usage == expected)
            #expect(record.model == "claude-sonnet-4-5")
            #expect(record.provider == provider ?? .anthropic)
        }
    }

    @Test func anthropicOneHourBreakdownIsClampedToTheTotal() throws {
        let body = """
            {"type":"message","model":"claude-opus-4-1","usage":{"input_tokens":10,"cache_creation_input_tokens":248,
             "cache_creation":{"ephemeral_5m_input_tokens":456,"ephemeral_1h_input_tokens":500},"output_tokens":3}}
            """
        let record = try UsageParser.parse(body)
        #expect(record.usage == TokenUsage(inputTokens: 258, cacheWriteTokens: 248, cacheWrite1hTokens: 248, outputTokens: 3))
    }

    @Test func bedrockInvokeModelWithAClaudeBody() throws {
        let body = """
            {"id":"msg_bdrk_01","type":"message","role":"assistant","model":"claude-3-7-sonnet-20250219",
             "content":[{"type":"text","text":"Hello"}],"stop_reason":"end_turn","stop_sequence":null,
             "usage":{"input_tokens":22,"cache_creation_input_tokens":1000,"cache_read_input_tokens":3000,"output_tokens":48}}
            """
        let record = try UsageParser.parse(body, provider: .awsBedrock, model: "anthropic.claude-3-7-sonnet-20250219-v1:0")
        #expect(record.usage == TokenUsage(inputTokens: 4022, cachedInputTokens: 3000, cacheWriteTokens: 1000, outputTokens: 48))
        #expect(record.provider == .awsBedrock)
        #expect(record.model == "anthropic.claude-3-7-sonnet-20250219-v1:0")
    }

    // MARK: Bedrock Converse

    @Test func bedrockConverseWithCacheAndOneHourDetails() throws {
        let body = """
            {"output":{"message":{"role":"assistant","content":[{"text":"ok"}]}},"stopReason":"end_turn",
             "usage":{"inputTokens":15,"outputTokens":40,"totalTokens":1355,"cacheReadInputTokens":1000,"cacheWriteInputTokens":300,
                      "cacheDetails":[{"ttl":"5m","inputTokens":100},{"ttl":"1h","inputTokens":200}]}}
            """
        let record = try UsageParser.parse(body)
        #expect(record.usage == TokenUsage(inputTokens: 1315, cachedInputTokens: 1000, cacheWriteTokens: 300, cacheWrite1hTokens: 200, outputTokens: 40))
        #expect(record.provider == .awsBedrock)
        #expect(record.model == nil)
    }

    @Test func bedrockConverseStreamMetadataEvent() throws {
        let body = """
            [{"messageStart":{"role":"assistant"}},
             {"contentBlockDelta":{"delta":{"text":"Hi"},"contentBlockIndex":0}},
             {"messageStop":{"stopReason":"end_turn"}},
             {"metadata":{"usage":{"inputTokens":12,"outputTokens":7,"totalTokens":19},"metrics":{"latencyMs":100}}}]
            """
        let record = try UsageParser.parse(body, model: "amazon.nova-lite-v1:0")
        #expect(record.usage == TokenUsage(inputTokens: 12, outputTokens: 7))
        #expect(record.provider == .awsBedrock)
        #expect(record.model == "amazon.nova-lite-v1:0")
    }

    // MARK: Gemini

    @Test func geminiStreamingLastUsageWins() throws {
        let body = """
            data: {"candidates":[{"content":{"parts":[{"text":"A"}]}}],"usageMetadata":{"promptTokenCount":8,"candidatesTokenCount":1,"totalTokenCount":9},"modelVersion":"gemini-2.5-flash"}

            data: {"candidates":[{"content":{"parts":[{"text":"B"}]}}],"modelVersion":"gemini-2.5-flash"}

            data: {"candidates":[{"content":{"parts":[{"text":"C"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":8,"cachedContentTokenCount":4,"candidatesTokenCount":30,"thoughtsTokenCount":12,"toolUsePromptTokenCount":5,"totalTokenCount":55},"modelVersion":"gemini-2.5-flash"}


            """
        let expected = TokenUsage(inputTokens: 13, cachedInputTokens: 4, outputTokens: 42, reasoningTokens: 12)
        for provider in [Provider.googleGemini, nil] {
            let record = try UsageParser.parse(body, provider: provider)
            #expect(record.usage == expected)
            #expect(record.model == "gemini-2.5-flash")
            #expect(record.provider == .googleGemini)
        }
    }

    @Test func geminiRESTStreamingArrayOfChunks() throws {
        let body = """
            [{"candidates":[{"content":{"parts":[{"text":"A"}]}}],"usageMetadata":{"promptTokenCount":3,"totalTokenCount":3},"modelVersion":"gemini-2.0-flash"},
             {"candidates":[{"content":{"parts":[{"text":"B"}]}}],"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":9,"totalTokenCount":12},"modelVersion":"gemini-2.0-flash"}]
            """
        let record = try UsageParser.parse(body)
        #expect(record.usage == TokenUsage(inputTokens: 3, outputTokens: 9))
        #expect(record.model == "gemini-2.0-flash")
    }

    // MARK: Model and transport

    @Test func callerModelWinsOverTheBody() throws {
        let body = #"{"model":"gpt-4o-2024-08-06","usage":{"prompt_tokens":1,"completion_tokens":1}}"#
        #expect(try UsageParser.parse(body).model == "gpt-4o-2024-08-06")
        #expect(try UsageParser.parse(body, model: "my-deployment").model == "my-deployment")
        #expect(try UsageParser.parse(body, model: "").model == "gpt-4o-2024-08-06")
    }

    @Test func crlfAndCommentsAndMultiLineData() throws {
        let body = ": keep-alive\r\nevent: message_start\r\ndata: {\"type\":\"message_start\",\"message\":{\"type\":\"message\",\r\ndata: \"model\":\"claude-haiku-4-5\",\"usage\":{\"input_tokens\":7,\"output_tokens\":1}}}\r\n\r\nevent: message_delta\r\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":4}}\r\n\r\n"
        let record = try UsageParser.parse(body)
        #expect(record.usage == TokenUsage(inputTokens: 7, outputTokens: 4))
        #expect(record.model == "claude-haiku-4-5")
        // A final event without its trailing blank line is still read.
        let unterminated = "data: {\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}"
        #expect(try UsageParser.parse(unterminated).usage == TokenUsage(inputTokens: 3, outputTokens: 4))
    }

    @Test func byteOrderMarkAndSurroundingWhitespaceAreAccepted() throws {
        let body: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("\n  {\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}  \n".utf8)
        #expect(try UsageParser.parse(body).usage == TokenUsage(inputTokens: 3, outputTokens: 4))
    }

    @Test func integralNumbersInOtherNotationsAreCounts() throws {
        let body = #"{"usage":{"prompt_tokens":14.0,"completion_tokens":1e3,"completion_tokens_details":{"reasoning_tokens":-0}}}"#
        #expect(try UsageParser.parse(body).usage == TokenUsage(inputTokens: 14, outputTokens: 1000))
    }

    // MARK: Errors

    private func expectError(
        _ code: UsageParseError.Code,
        _ body: String,
        provider: Provider? = nil,
        mentioning fragment: String? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let error = #expect(throws: UsageParseError.self, sourceLocation: sourceLocation) {
            try UsageParser.parse(body, provider: provider)
        }
        #expect(error?.code == code, "\(String(describing: error))", sourceLocation: sourceLocation)
        if let fragment {
            #expect(error?.message.contains(fragment) == true, "\(String(describing: error))", sourceLocation: sourceLocation)
        }
    }

    @Test func invalidCountsAreRejectedNamingTheField() {
        let field = "usage.prompt_tokens"
        for value in ["-1", "1.5", "\"12\"", "true", "[]", "{}", "10000000001", "99999999999999999999", "1e400"] {
            expectError(.invalidCount, #"{"usage":{"prompt_tokens":\#(value),"completion_tokens":1}}"#, mentioning: field)
        }
        expectError(.invalidCount, #"{"type":"message","usage":{"input_tokens":1,"cache_read_input_tokens":-5}}"#, mentioning: "usage.cache_read_input_tokens")
        expectError(.invalidCount, #"{"usageMetadata":{"promptTokenCount":"7"}}"#, mentioning: "usageMetadata.promptTokenCount")
        expectError(.invalidCount, #"{"usage":{"inputTokens":1.25,"outputTokens":1}}"#, provider: .awsBedrock, mentioning: "usage.inputTokens")
        expectError(.invalidCount, #"{"usage":"lots","object":"chat.completion"}"#, mentioning: "usage must be an object")
        expectError(.invalidCount, #"{"usage":{"prompt_tokens":1,"prompt_tokens_details":3}}"#, mentioning: "usage.prompt_tokens_details")
    }

    @Test func sumsAboveTheMaximumAreRejected() {
        let max = TokenUsage.maximumCount
        expectError(.invalidCount, #"{"type":"message","usage":{"input_tokens":\#(max),"cache_read_input_tokens":\#(max)}}"#, mentioning: "input_tokens")
        expectError(.invalidCount, #"{"usageMetadata":{"candidatesTokenCount":\#(max),"thoughtsTokenCount":1}}"#, mentioning: "output_tokens")
    }

    @Test func inconsistentCountsAreRejected() {
        expectError(.inconsistentCounts, #"{"usage":{"prompt_tokens":5,"completion_tokens":3,"completion_tokens_details":{"reasoning_tokens":4}}}"#, mentioning: "reasoning_tokens")
        expectError(.inconsistentCounts, #"{"usage":{"prompt_tokens":5,"completion_tokens":3,"prompt_tokens_details":{"cached_tokens":6}}}"#)
        expectError(.inconsistentCounts, #"{"usageMetadata":{"promptTokenCount":5,"cachedContentTokenCount":6}}"#)
    }

    @Test func malformedBodiesAreInvalidJSON() {
        for body in [
            "", "   ", "{", #"{"usage":{"prompt_tokens":1,}}"#, #"{"usage":{"prompt_tokens":01}}"#, "[1] x", "null", "42",
            #"{"usage":{"prompt_tokens":1},"usage":{"prompt_tokens":1000}}"#, "hello world", #"{"a":"\ud800"}"#,
            "data: {not json}\n\n", "data: [1,2]\n\n", #"[{"usage":{}}, 3]"#,
        ] {
            expectError(.invalidJSON, body)
        }
    }

    @Test func nestingIsBounded() throws {
        let depth = UsageParser.maximumNestingDepth
        // Exactly at the limit (usage itself is at depth 2): accepted.
        let allowed = #"{"usage":{"prompt_tokens":1},"x":"# + String(repeating: "[", count: depth - 1) + String(repeating: "]", count: depth - 1) + "}"
        #expect(try UsageParser.parse(allowed).usage.inputTokens == 1)
        let tooDeep = #"{"usage":{"prompt_tokens":1},"x":"# + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}"
        expectError(.invalidJSON, tooDeep, mentioning: "nested deeper")
        expectError(.invalidJSON, String(repeating: "[", count: 100_000))
        expectError(.invalidJSON, "data: " + String(repeating: "{\"a\":", count: 100_000) + "\n\n")
    }

    @Test func invalidUTF8IsInvalidEncoding() {
        let valid = Array(#"{"usage":{"prompt_tokens":1,"completion_tokens":2}}"#.utf8)
        for bad: [UInt8] in [[0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82]] {
            var body = valid
            body.insert(contentsOf: bad, at: 10)
            let error = #expect(throws: UsageParseError.self) { try UsageParser.parse(body) }
            #expect(error?.code == .invalidEncoding)
        }
    }

    @Test func oversizedBodiesAreRejected() {
        let body = [UInt8](repeating: UInt8(ascii: " "), count: UsageParser.maximumBodySize + 1)
        let error = #expect(throws: UsageParseError.self) { try UsageParser.parse(body) }
        #expect(error?.code == .bodyTooLarge)
    }

    @Test func unknownProviders() {
        expectError(.unknownProvider, #"{"usage":{"prompt_tokens":1}}"#, provider: Provider(rawValue: "cohere"), mentioning: "cohere")
        expectError(.unknownProvider, #"{"id":"x","result":"ok"}"#)
        expectError(.unknownProvider, "data: [DONE]\n\n")
    }

    @Test func providerWithoutUsageIsNoUsage() {
        expectError(.noUsage, #"{"id":"x","result":"ok"}"#, provider: .anthropic)
        expectError(.noUsage, #"{"candidates":[]}"#, provider: .googleGemini)
        expectError(.noUsage, #"{"output":{"message":{}},"stopReason":"end_turn"}"#, provider: .awsBedrock)
        expectError(.noUsage, #"{"error":{"type":"overloaded_error"}}"#, provider: .openai)
    }

    @Test func usageWithoutItsMainCountsIsNotReadAsZero() {
        expectError(.noUsage, #"{"object":"chat.completion","usage":{}}"#, mentioning: "usage.prompt_tokens")
        expectError(.noUsage, #"{"usage":{"total_tokens":null,"prompt_tokens":null}}"#, provider: .openai)
        // A body of another provider's shape is not silently billed as zero tokens.
        expectError(.noUsage, #"{"type":"message","usage":{"input_tokens":5,"output_tokens":7}}"#, provider: .openai, mentioning: "looks like Anthropic Messages")
        expectError(.noUsage, #"{"usageMetadata":{"promptTokenCount":5}}"#, provider: .mistral, mentioning: "looks like Gemini")
        expectError(.noUsage, #"{"usage":{"prompt_tokens":5}}"#, provider: .googleGemini)
    }

    @Test func errorsDescribeThemselves() {
        let error = UsageParseError(.invalidCount, "usage.prompt_tokens must be a non-negative integer (got -1)")
        #expect(error.description == "invalid_count: usage.prompt_tokens must be a non-negative integer (got -1)")
        #expect(UsageParseError.Code.invalidJSON.rawValue == "invalid_json")
    }
}
