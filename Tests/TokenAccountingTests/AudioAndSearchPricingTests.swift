import Testing
import TokenAccounting

/// Audio tokens, web searches and long-context tiers priced end to end: a real-shaped provider body is parsed
/// and priced by the bundled catalog, to the exact nano-USD.
@Suite struct AudioAndSearchPricingTests {
    let catalog = PriceCatalog.bundledDefault()

    @Test func openAIAudioCallIsPricedAtTheAudioRates() throws {
        let body = """
        {"id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4o-audio-preview-2025-06-03",
         "usage": {"prompt_tokens": 1200, "completion_tokens": 500, "total_tokens": 1700,
                   "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 1000},
                   "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 400}}}
        """
        let record = try UsageParser.parse(body, provider: .openai)
        #expect(record.usage == TokenUsage(inputTokens: 1200, outputTokens: 500, audioInputTokens: 1000, audioOutputTokens: 400))
        let cost = catalog.cost(model: record.model, provider: record.provider, usage: record.usage)
        // 200 text in × $2.50 + 1,000 audio in × $40 + 100 text out × $10 + 400 audio out × $80 per 1M
        // = 500,000 + 40,000,000 + 1,000,000 + 32,000,000 nano-USD.
        #expect(cost == CostResult(nanoUSD: 73_500_000, priced: true, matchedModel: "gpt-4o-audio-preview"))
    }

    @Test func anthropicWebSearchCallIsPricedPerSearch() throws {
        let body = """
        {"id": "msg_1", "type": "message", "model": "claude-sonnet-4-5-20250929",
         "usage": {"input_tokens": 1000, "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0, "output_tokens": 500,
                   "server_tool_use": {"web_search_requests": 3, "web_fetch_requests": 1}}}
        """
        let record = try UsageParser.parse(body, provider: .anthropic)
        #expect(record.usage == TokenUsage(inputTokens: 1000, outputTokens: 500, webSearchRequests: 3))
        let cost = catalog.cost(model: record.model, provider: record.provider, usage: record.usage)
        // 1,000 × $3 + 500 × $15 per 1M + 3 searches × $10 per 1,000 = 3,000,000 + 7,500,000 + 30,000,000 nano-USD.
        #expect(cost == CostResult(nanoUSD: 40_500_000, priced: true, matchedModel: "claude-sonnet-4-5"))
    }

    @Test func geminiLongContextAudioCallIsPricedAtTheTier() throws {
        let body = """
        {"modelVersion": "gemini-2.5-pro",
         "usageMetadata": {"promptTokenCount": 250000, "cachedContentTokenCount": 50000, "candidatesTokenCount": 1000,
                           "thoughtsTokenCount": 1000, "totalTokenCount": 252000,
                           "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 240000}, {"modality": "AUDIO", "tokenCount": 10000}],
                           "candidatesTokensDetails": [{"modality": "TEXT", "tokenCount": 1000}]}}
        """
        let record = try UsageParser.parse(body, provider: .googleGemini)
        #expect(record.usage == TokenUsage(
            inputTokens: 250_000, cachedInputTokens: 50_000, outputTokens: 2000, reasoningTokens: 1000, audioInputTokens: 10_000
        ))
        let cost = catalog.cost(model: record.model, provider: record.provider, usage: record.usage)
        // Above 200k input tokens the whole call is at the tier: 190,000 text × $2.50 + 10,000 audio × $2.50
        // + 50,000 cached × $0.25 + 2,000 output (thinking included) × $15 per 1M
        // = 475,000,000 + 25,000,000 + 12,500,000 + 30,000,000 nano-USD.
        #expect(cost == CostResult(nanoUSD: 542_500_000, priced: true, matchedModel: "gemini-2.5-pro"))
        // The same call below the threshold uses the base prices.
        var short = record.usage
        short.inputTokens = 150_000
        short.cachedInputTokens = 50_000
        // 90,000 text × $1.25 + 10,000 audio × $1.25 + 50,000 × $0.125 + 2,000 × $10.
        #expect(catalog.cost(model: "gemini-2.5-pro", provider: .googleGemini, usage: short).nanoUSD == 151_250_000)
    }

    @Test func geminiFlashAudioCostsMoreThanText() throws {
        let usage = TokenUsage(inputTokens: 1_000_000, outputTokens: 0, audioInputTokens: 1_000_000)
        // All input is audio: $1.00 per 1M instead of $0.30.
        #expect(catalog.cost(model: "gemini-2.5-flash", provider: .googleGemini, usage: usage).nanoUSD == 1_000_000_000)
        #expect(catalog.cost(model: "gemini-2.0-flash-001", provider: .googleGemini, usage: usage).nanoUSD == 700_000_000)
    }

    // MARK: Unpriced, never under-priced

    @Test func audioOnAModelWithoutAudioPricesIsUnpriced() throws {
        let usage = TokenUsage(inputTokens: 1000, outputTokens: 100, audioOutputTokens: 50)
        #expect(catalog.cost(model: "gpt-4o", provider: .openai, usage: usage) == CostResult(nanoUSD: 0, priced: false, matchedModel: "gpt-4o"))
        // gemini-2.5-flash has an audio input price but no audio output price.
        #expect(!catalog.cost(model: "gemini-2.5-flash", provider: .googleGemini, usage: usage).priced)
        #expect(catalog.cost(model: "gemini-2.5-flash", provider: .googleGemini, usage: TokenUsage(inputTokens: 1000, audioInputTokens: 10)).priced)
        // ModelPrice.pricedCost agrees; cost(of:) is only an estimate (audio at the text price).
        let gpt4o = try #require(catalog.price(for: "gpt-4o"))
        #expect(gpt4o.pricedCost(of: usage) == nil)
        #expect(gpt4o.cost(of: usage) == 2_500_000 + 1_000_000)
    }

    @Test func webSearchesOnAModelWithoutASearchPriceAreUnpriced() {
        let usage = TokenUsage(inputTokens: 100, outputTokens: 10, webSearchRequests: 1)
        #expect(!catalog.cost(model: "claude-3-5-haiku", provider: .awsBedrock, usage: usage).priced)
        #expect(!catalog.isPriced(model: "gpt-4o", provider: .openai, usage: usage))
        #expect(catalog.isPriced(model: "claude-haiku-4-5", provider: .anthropic, usage: usage))
        // Zero searches need no price.
        #expect(catalog.cost(model: "claude-3-5-haiku", provider: .awsBedrock, usage: TokenUsage(inputTokens: 100)).priced)
    }

    @Test func aTierWithoutAnAudioPriceCannotPriceLongAudioCalls() throws {
        let price = ModelPrice(
            input: nanoPerMillion(1), output: nanoPerMillion(2), audioInput: nanoPerMillion(3), webSearchPer1k: nanoPerMillion(10),
            longContext: LongContextPrice(thresholdInputTokens: 100, input: nanoPerMillion(2), output: nanoPerMillion(4))
        )
        let catalog = try PriceCatalog(entries: [.init(name: "m", price: price)])
        // 100 audio tokens × $3 per 1M at the base prices.
        #expect(catalog.cost(model: "m", provider: nil, usage: TokenUsage(inputTokens: 100, audioInputTokens: 100)).nanoUSD == 300_000)
        #expect(!catalog.cost(model: "m", provider: nil, usage: TokenUsage(inputTokens: 101, audioInputTokens: 100)).priced)
        // Web searches keep the base per-request price inside the tier: 101 × $2 per 1M + 2 × $10 per 1,000.
        #expect(catalog.cost(model: "m", provider: nil, usage: TokenUsage(inputTokens: 101, webSearchRequests: 2)).nanoUSD == 202_000 + 20_000_000)
    }

    // MARK: Arithmetic

    @Test func audioIsTakenOutOfUncachedInputFirstAndNeverBilledTwice() {
        let price = ModelPrice(
            input: nanoPerMillion(2), cacheRead: nanoPerMillion(1), cacheWrite5m: nanoPerMillion(3), output: nanoPerMillion(10),
            reasoning: nanoPerMillion(20), audioInput: nanoPerMillion(40), audioOutput: nanoPerMillion(80)
        )
        // 100 input: 30 uncached, 50 cached, 20 written; 60 audio = 30 uncached + 30 cached.
        // 20 cached × $1 + 20 writes × $3 + 60 audio × $40 = 20 + 60 + 2,400 (× 1,000 nano-USD per 1M tokens).
        #expect(price.pricedCost(of: TokenUsage(inputTokens: 100, cachedInputTokens: 50, cacheWriteTokens: 20, audioInputTokens: 60)) == 2_480_000)
        // 100 output: 40 reasoning; 70 audio = 60 text + 10 reasoning → 30 reasoning × $20 + 70 audio × $80.
        #expect(price.pricedCost(of: TokenUsage(outputTokens: 100, reasoningTokens: 40, audioOutputTokens: 70)) == 600_000 + 5_600_000)
    }

    @Test func webSearchPricesAreExactAndCannotOverflow() {
        let price = ModelPrice(input: 0, output: 0, webSearchPer1k: nanoPerMillion(10))
        #expect(price.pricedCost(of: TokenUsage(webSearchRequests: 1)) == 10_000_000)
        #expect(price.pricedCost(of: TokenUsage(webSearchRequests: 7)) == 70_000_000)
        let odd = ModelPrice(input: 0, output: 0, webSearchPer1k: 35_000_000_001)  // $35.000000001 per 1,000
        #expect(odd.pricedCost(of: TokenUsage(webSearchRequests: 1)) == 35_000_000)  // 35,000,000.001 → 35,000,000
        let absurd = ModelPrice(input: .max, output: .max, audioInput: .max, audioOutput: .max, webSearchPer1k: .max)
        let everything = TokenUsage(
            inputTokens: .max, outputTokens: .max, audioInputTokens: .max, audioOutputTokens: .max, webSearchRequests: .max
        )
        #expect(absurd.pricedCost(of: everything) == .max)
        #expect(absurd.pricedCost(of: TokenUsage(webSearchRequests: .max)) == .max)
    }
}
