import Foundation
import Testing
import TokenAccounting

/// The parts reported beside the five canonical classes: audio tokens, Anthropic thinking tokens and web
/// searches.
@Suite struct UsageDetailsParserTests {
    private func usage(_ body: String, _ provider: Provider) throws -> TokenUsage {
        try UsageParser.parse(body, provider: provider).usage
    }

    @Test func realFixturesStillGiveTheirDocumentedCountsAndNoExtras() throws {
        for fixture in try ProviderFixtures.load() {
            let parsed = try UsageParser.parse(fixture.body, provider: fixture.provider).usage
            #expect(parsed == fixture.expected, "\(fixture.id)")
            #expect(parsed.audioInputTokens == 0 && parsed.audioOutputTokens == 0 && parsed.webSearchRequests == 0, "\(fixture.id)")
        }
    }

    @Test func openAIChatAudioTokens() throws {
        let body = """
        {"object": "chat.completion", "model": "gpt-4o-audio-preview",
         "usage": {"prompt_tokens": 100, "completion_tokens": 80,
                   "prompt_tokens_details": {"cached_tokens": 10, "audio_tokens": 60},
                   "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 70}}}
        """
        #expect(try usage(body, .openai) == TokenUsage(
            inputTokens: 100, cachedInputTokens: 10, outputTokens: 80, audioInputTokens: 60, audioOutputTokens: 70
        ))
        // Azure answers in the same shape; a null audio count is 0 (the Azure o1 fixture has one).
        let azure = body.replacingOccurrences(of: "\"audio_tokens\": 60", with: "\"audio_tokens\": null")
        #expect(try usage(azure, .azureOpenAI).audioInputTokens == 0)
    }

    @Test func openAIChatStreamFinalChunkCarriesAudio() throws {
        let stream = """
        data: {"object": "chat.completion.chunk", "model": "gpt-4o-mini-audio-preview", "choices": [{"index": 0, "delta": {"content": "hi"}}], "usage": null}

        data: {"object": "chat.completion.chunk", "model": "gpt-4o-mini-audio-preview", "choices": [], "usage": {"prompt_tokens": 40, "completion_tokens": 30, "prompt_tokens_details": {"audio_tokens": 25}, "completion_tokens_details": {"audio_tokens": 20}}}

        data: [DONE]

        """
        #expect(try usage(stream, .openai) == TokenUsage(inputTokens: 40, outputTokens: 30, audioInputTokens: 25, audioOutputTokens: 20))
    }

    @Test func openAIResponsesAudioTokensWhenPresent() throws {
        let body = """
        {"object": "response", "model": "gpt-realtime",
         "usage": {"input_tokens": 50, "output_tokens": 40, "input_tokens_details": {"cached_tokens": 0, "audio_tokens": 30},
                   "output_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 35}}}
        """
        #expect(try usage(body, .openai) == TokenUsage(inputTokens: 50, outputTokens: 40, audioInputTokens: 30, audioOutputTokens: 35))
    }

    @Test func audioPartsAreClampedToTheirTotals() throws {
        let body = """
        {"object": "chat.completion", "usage": {"prompt_tokens": 10, "completion_tokens": 5,
         "prompt_tokens_details": {"audio_tokens": 99}, "completion_tokens_details": {"audio_tokens": 99}}}
        """
        let parsed = try usage(body, .openai)
        #expect(parsed.audioInputTokens == 10 && parsed.audioOutputTokens == 5)
        #expect(throws: UsageParseError.self) {
            _ = try UsageParser.parse(#"{"object": "chat.completion", "usage": {"prompt_tokens": 1, "prompt_tokens_details": {"audio_tokens": -1}}}"#, provider: .openai)
        }
    }

    @Test func geminiModalityBreakdowns() throws {
        let body = """
        {"modelVersion": "gemini-2.5-flash",
         "usageMetadata": {"promptTokenCount": 300, "toolUsePromptTokenCount": 20, "candidatesTokenCount": 50,
                           "thoughtsTokenCount": 10,
                           "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 100}, {"modality": "AUDIO", "tokenCount": 150},
                                                   {"modality": "audio", "tokenCount": 30}, {"modality": "IMAGE", "tokenCount": 20}, {"modality": "AUDIO"}],
                           "toolUsePromptTokensDetails": [{"modality": "AUDIO", "tokenCount": 5}],
                           "candidatesTokensDetails": [{"modality": "AUDIO", "tokenCount": 40}, {"modality": "TEXT", "tokenCount": 10}]}}
        """
        #expect(try usage(body, .googleGemini) == TokenUsage(
            inputTokens: 320, outputTokens: 60, reasoningTokens: 10, audioInputTokens: 185, audioOutputTokens: 40
        ))
    }

    @Test func geminiStreamLastUsageWinsWithItsBreakdown() throws {
        let chunks = """
        [{"modelVersion": "gemini-2.0-flash", "usageMetadata": {"promptTokenCount": 100, "promptTokensDetails": [{"modality": "AUDIO", "tokenCount": 100}]}},
         {"modelVersion": "gemini-2.0-flash", "usageMetadata": {"promptTokenCount": 100, "candidatesTokenCount": 7,
          "promptTokensDetails": [{"modality": "AUDIO", "tokenCount": 90}, {"modality": "TEXT", "tokenCount": 10}]}}]
        """
        #expect(try usage(chunks, .googleGemini) == TokenUsage(inputTokens: 100, outputTokens: 7, audioInputTokens: 90))
    }

    @Test func geminiMalformedBreakdownsAreRejectedNamingTheField() {
        for details in [#""promptTokensDetails": {"modality": "AUDIO"}"#, #""promptTokensDetails": [7]"#,
                        #""promptTokensDetails": [{"modality": "AUDIO", "tokenCount": -3}]"#] {
            #expect {
                _ = try UsageParser.parse(#"{"usageMetadata": {"promptTokenCount": 10, \#(details)}}"#, provider: .googleGemini)
            } throws: { error in
                let error = error as? UsageParseError
                return error?.code == .invalidCount && error?.message.contains("promptTokensDetails") == true
            }
        }
    }

    @Test func anthropicThinkingTokensAndWebSearches() throws {
        let body = """
        {"type": "message", "model": "claude-opus-4-6",
         "usage": {"input_tokens": 10, "cache_read_input_tokens": 5, "cache_creation_input_tokens": 0, "output_tokens": 300,
                   "output_tokens_details": {"thinking_tokens": 200}, "server_tool_use": {"web_search_requests": 2}}}
        """
        #expect(try usage(body, .anthropic) == TokenUsage(
            inputTokens: 15, cachedInputTokens: 5, outputTokens: 300, reasoningTokens: 200, webSearchRequests: 2
        ))
        // Without the newer field, reasoning stays 0; a thinking count above the output is clamped to it.
        let clamped = body.replacingOccurrences(of: "\"thinking_tokens\": 200", with: "\"thinking_tokens\": 999")
        #expect(try usage(clamped, .anthropic).reasoningTokens == 300)
    }

    @Test func anthropicStreamKeepsTheLatestServerToolUse() throws {
        let stream = """
        event: message_start
        data: {"type": "message_start", "message": {"model": "claude-sonnet-4-5", "usage": {"input_tokens": 20, "output_tokens": 1}}}

        event: message_delta
        data: {"type": "message_delta", "usage": {"output_tokens": 40, "server_tool_use": {"web_search_requests": 1}}}

        event: message_delta
        data: {"type": "message_delta", "usage": {"output_tokens": 90, "server_tool_use": {"web_search_requests": 3}, "output_tokens_details": {"thinking_tokens": 50}}}

        event: message_stop
        data: {"type": "message_stop"}

        """
        #expect(try usage(stream, .anthropic) == TokenUsage(inputTokens: 20, outputTokens: 90, reasoningTokens: 50, webSearchRequests: 3))
    }

    @Test func bedrockInvokeModelWithClaudeReadsWebSearchesToo() throws {
        let body = #"{"type": "message", "usage": {"input_tokens": 4, "output_tokens": 2, "server_tool_use": {"web_search_requests": 1}}}"#
        #expect(try usage(body, .awsBedrock).webSearchRequests == 1)
    }

    @Test func anthropicMalformedServerToolUseIsRejected() {
        #expect(throws: UsageParseError.self) {
            _ = try UsageParser.parse(#"{"type": "message", "usage": {"input_tokens": 1, "server_tool_use": 3}}"#, provider: .anthropic)
        }
        #expect(throws: UsageParseError.self) {
            _ = try UsageParser.parse(
                #"{"type": "message", "usage": {"input_tokens": 1, "server_tool_use": {"web_search_requests": 1.5}}}"#, provider: .anthropic
            )
        }
    }

    /// LiteLLM's normalised (OpenAI-shaped) response for a Claude call keeps Anthropic's cache fields beside
    /// `prompt_tokens`/`completion_tokens`; read as Anthropic's it would count 0 input and 0 output.
    @Test func anOpenAIShapedBodyNamedAnthropicIsRefusedNotUnderCounted() {
        let body = #"{"id": "chatcmpl-1", "object": "chat.completion", "model": "claude-sonnet-4-5", "choices": [], "usage": {"prompt_tokens": 1200, "completion_tokens": 80, "total_tokens": 1280, "cache_creation_input_tokens": 1000, "cache_read_input_tokens": 0}}"#
        do {
            _ = try UsageParser.parse(body, provider: .anthropic)
            Issue.record("an OpenAI-shaped body was read as Anthropic's")
        } catch {
            #expect(error.code == .providerMismatch)
            #expect(error.message.contains("usage.prompt_tokens") && error.message.contains("provider \"openai\""), "\(error.message)")
        }
        // Anthropic's own fields beside OpenAI's (a merged body) are read as Anthropic's
        let both = #"{"type": "message", "usage": {"input_tokens": 5, "output_tokens": 2, "prompt_tokens": 5}}"#
        #expect((try? UsageParser.parse(both, provider: .anthropic).usage.outputTokens) == 2)
    }
}
