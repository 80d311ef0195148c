import Testing
import TokenAccounting

@Suite struct ModelMatchingTests {
    let catalog = PriceCatalog.bundledDefault()

    private func expectMatch(
        _ model: String, _ name: String, _ how: PriceMatch.Kind, provider: Provider? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let match = catalog.match(model: model, provider: provider)
        #expect(match?.matchedName == name, "\(model)", sourceLocation: sourceLocation)
        #expect(match?.how == how, "\(model)", sourceLocation: sourceLocation)
    }

    @Test func exactNamesMatchCaseInsensitively() {
        expectMatch("gpt-4o", "gpt-4o", .exact)
        expectMatch("GPT-4o", "gpt-4o", .exact)
        expectMatch("  claude-sonnet-4-5 ", "claude-sonnet-4-5", .exact)
        expectMatch("gpt-4o\n", "gpt-4o", .exact)
        expectMatch("\tgpt-4O", "gpt-4o", .exact)
        expectMatch("\u{00A0}gpt-4o\u{2003}", "gpt-4o", .exact)
        expectMatch("gpt-4o\u{85}", "gpt-4o", .exact)
        expectMatch("gpt-4o-2024-05-13", "gpt-4o-2024-05-13", .exact)
        #expect(catalog.match(model: "gpt-4o-2024-05-13")?.price.input == 5_000_000_000)
    }

    @Test func aliasesMatch() {
        expectMatch("gpt-4o-2024-08-06", "gpt-4o", .alias)
        expectMatch("gpt-4o-mini-2024-07-18", "gpt-4o-mini", .alias)
        expectMatch("claude-sonnet-4-5-20250929", "claude-sonnet-4-5", .alias)
        expectMatch("claude-3-7-sonnet-latest", "claude-3-7-sonnet", .alias)
        expectMatch("us.anthropic.claude-3-5-haiku-20241022-v1:0", "claude-3-5-haiku", .alias)
        expectMatch("gemini-2.0-flash-001", "gemini-2.0-flash", .alias)
    }

    @Test func providerPrefixesAndDateSuffixesAreNormalized() {
        expectMatch("openai/gpt-4o", "gpt-4o", .normalized)
        expectMatch("anthropic/claude-sonnet-4-5-20250929", "claude-sonnet-4-5", .normalized)
        expectMatch("gpt-4o-mini-2025-01-31", "gpt-4o-mini", .normalized)
        expectMatch("claude-opus-4-1-latest", "claude-opus-4-1", .normalized)
        expectMatch("claude-haiku-4-5-20991231", "claude-haiku-4-5", .normalized)
        expectMatch("models/gemini-2.5-flash", "gemini-2.5-flash", .normalized)
        expectMatch("gemini/gemini-2.5-pro", "gemini-2.5-pro", .normalized)
        expectMatch("vertex_ai/claude-sonnet-4-5@20250929", "claude-sonnet-4-5", .normalized)
        expectMatch("azure/gpt-4.1-mini", "gpt-4.1-mini", .normalized)
        expectMatch("openrouter/anthropic/claude-opus-4-5", "claude-opus-4-5", .normalized)
    }

    @Test func bedrockIdsAreNormalized() {
        expectMatch("bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0", "claude-3-5-haiku", .normalized)
        expectMatch("global.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5", .normalized)
        expectMatch("eu.anthropic.claude-3-7-sonnet-20250219-v1:0", "claude-3-7-sonnet", .normalized)
        expectMatch("apac.anthropic.claude-sonnet-4-20250514-v1:0", "claude-sonnet-4", .normalized)
        expectMatch("anthropic.claude-opus-4-1-20250805-v1:0", "claude-opus-4-1", .normalized)
        expectMatch(
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-haiku-4-5-20251001-v1:0",
            "claude-haiku-4-5", .normalized
        )
    }

    @Test func longestKnownPrefixAtADashBoundaryForSnapshotSuffixes() {
        expectMatch("gemini-2.0-flash-lite-002", "gemini-2.0-flash-lite", .prefix)
        expectMatch("gpt-4o-mini-0718", "gpt-4o-mini", .prefix)
        expectMatch("mistral-large-2411", "mistral-large-2411", .exact)
        expectMatch("o3-mini-high", "o3-mini", .prefix)
        expectMatch("gpt-5-low", "gpt-5", .prefix)
        expectMatch("gemini-2.5-flash-lite-09-2025", "gemini-2.5-flash-lite", .prefix)
        // Listed variants win over their prefix.
        expectMatch("gpt-5.4-mini", "gpt-5.4-mini", .exact)
        expectMatch("claude-opus-4-6", "claude-opus-4-6", .exact)
        expectMatch("o3-pro-2025-06-10", "o3-pro", .alias)
        expectMatch("gpt-5.1-codex-max", "gpt-5.1", .alias)
        expectMatch("gemini-2.5-flash-preview-09-2025", "gemini-2.5-flash-preview-09-2025", .exact)
    }

    /// A prefix match never crosses a modality or variant boundary: these names are not priced as their text
    /// model (the bundled list has no entry of their own for them).
    @Test(arguments: [
        "gpt-4o-search-preview", "gpt-4o-search-preview-2025-03-11", "gpt-4o-mini-search-preview", "gpt-4o-mini-tts",
        "gpt-4o-transcribe", "gpt-4o-mini-transcribe", "gemini-2.5-flash-image-preview", "gemini-2.5-flash-image",
        "gemini-2.5-flash-preview-tts", "gemini-2.5-pro-preview-tts", "gemini-2.5-flash-native-audio-latest",
        "gpt-4o-mini-foo", "gpt-5-mini-vision", "text-embedding-3-small-embedding", "claude-opus-4-9", "claude-sonnet-4-5-v2",
        "gpt-4o-realtime", "o3-mini-pro", "gemini-2.5-flash-lite-preview-07-01", "gpt-5.4-nano-audio", "mistral-large-vision",
    ])
    func variantsAndModalitiesDoNotFallBackToTheirBaseModel(model: String) {
        #expect(catalog.match(model: model) == nil)
        #expect(catalog.price(for: model) == nil)
        #expect(!catalog.isPriced(model: model, provider: .openai))
        #expect(catalog.cost(model: model, provider: nil, usage: TokenUsage(inputTokens: 10, outputTokens: 10)) == .unpriced)
    }

    /// Audio and realtime models are priced only by their own entries, never as `gpt-4o`/`gpt-4o-mini`.
    @Test func audioAndRealtimeModelsHaveEntriesOfTheirOwn() throws {
        expectMatch("gpt-4o-audio-preview", "gpt-4o-audio-preview", .exact)
        expectMatch("gpt-4o-audio-preview-2025-06-03", "gpt-4o-audio-preview", .alias)
        expectMatch("openai/gpt-4o-audio-preview-2026-01-01", "gpt-4o-audio-preview", .normalized)
        expectMatch("gpt-4o-audio-preview-2024-10-01", "gpt-4o-audio-preview-2024-10-01", .exact)
        expectMatch("gpt-4o-realtime-preview-2024-12-17", "gpt-4o-realtime-preview", .alias)
        expectMatch("gpt-4o-mini-realtime-preview", "gpt-4o-mini-realtime-preview", .exact)
        expectMatch("azure/gpt-4o-mini-audio-preview", "gpt-4o-mini-audio-preview", .normalized)
        let audio = try #require(catalog.price(for: "gpt-4o-audio-preview"))
        #expect(audio.audioInput == nanoPerMillion(40) && audio.audioOutput == nanoPerMillion(80))
        #expect(catalog.price(for: "gpt-4o-audio-preview-2024-10-01")?.audioInput == nanoPerMillion(100))
    }

    /// Dated snapshots still find their base model.
    @Test func datedSnapshotsStillMatchTheirBase() {
        expectMatch("gpt-4o-2024-08-06", "gpt-4o", .alias)
        expectMatch("gpt-4o-2025-03-01", "gpt-4o", .normalized)
        expectMatch("claude-sonnet-4-5-20250929", "claude-sonnet-4-5", .alias)
        expectMatch("claude-sonnet-4-5-20260101", "claude-sonnet-4-5", .normalized)
        expectMatch("claude-3-5-haiku@20241022", "claude-3-5-haiku", .normalized)
        expectMatch("gemini-2.5-pro-latest", "gemini-2.5-pro", .normalized)
        expectMatch("mistral-large-latest", "mistral-large-latest", .exact)
        expectMatch("mistral/mistral-medium-latest", "mistral-medium-latest", .normalized)
        expectMatch("us.anthropic.claude-opus-4-1-20250805-v1:0", "claude-opus-4-1", .normalized)
    }

    @Test func priceAndIsPricedAnswerWhatCostWouldDo() throws {
        let gpt4o = try #require(catalog.price(for: "gpt-4o-2024-08-06", provider: .openai))
        #expect(gpt4o.input == 2_500_000_000)
        #expect(catalog.price(for: nil) == nil)
        #expect(catalog.price(for: "") == nil)
        #expect(catalog.isPriced(model: "gpt-4o", provider: .openai))
        #expect(!catalog.isPriced(model: nil))
        // A known model without an audio price cannot price a call with audio tokens.
        let audioCall = TokenUsage(inputTokens: 100, outputTokens: 10, audioInputTokens: 50)
        #expect(!catalog.isPriced(model: "gpt-4o", provider: .openai, usage: audioCall))
        #expect(catalog.isPriced(model: "gpt-4o-audio-preview", provider: .openai, usage: audioCall))
        #expect(catalog.cost(model: "gpt-4o", provider: .openai, usage: audioCall) == CostResult(nanoUSD: 0, priced: false, matchedModel: "gpt-4o"))
    }

    @Test(arguments: ["llama-3-70b", "gpt", "gpt-4", "gpt-4o2", "o3x", "", "   ", "-gpt-4o", "claude-3-5-sonnet-20241022", "gemini-1.5-pro", "claude-3-5-sonnet"])
    func unknownModelsDoNotMatch(model: String) {
        #expect(catalog.match(model: model) == nil)
        #expect(catalog.cost(model: model, provider: nil, usage: TokenUsage(inputTokens: 10)).priced == false)
    }

    @Test func datesAreStrippedConservatively() {
        // Not a plausible date: left alone, so only the prefix step can match.
        expectMatch("gpt-4o-2024-13-45", "gpt-4o", .prefix)
        expectMatch("gpt-4o-12345678", "gpt-4o", .prefix)
    }

    @Test func providerBreaksTiesBetweenEquallyGoodEntries() throws {
        let catalog = try PriceCatalog(entries: [
            .init(name: "claude-3-5-haiku", provider: .anthropic, price: ModelPrice(input: 1, output: 1)),
            .init(name: "bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0", provider: .awsBedrock, price: ModelPrice(input: 2, output: 2)),
            .init(name: "vertex_ai/claude-3-5-haiku@20241022", provider: Provider(rawValue: "vertex_ai-anthropic_models"), price: ModelPrice(input: 3, output: 3)),
        ])
        let id = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
        #expect(catalog.match(model: id, provider: .awsBedrock)?.price.input == 2)
        #expect(catalog.match(model: id, provider: nil)?.price.input == 1)
        #expect(catalog.match(model: id, provider: .openai)?.price.input == 1)
        #expect(catalog.match(model: "claude-3-5-haiku@20241022", provider: Provider(rawValue: "vertex_ai-anthropic_models"))?.price.input == 3)
        #expect(catalog.match(model: "claude-3-5-haiku-001", provider: .awsBedrock)?.how == .prefix)
        #expect(catalog.match(model: "claude-3-5-haiku-001", provider: .awsBedrock)?.price.input == 2)
        #expect(catalog.match(model: "claude-3-5-haiku-foo", provider: .awsBedrock) == nil)
        // Exact names win regardless of the provider.
        #expect(catalog.match(model: "claude-3-5-haiku", provider: .awsBedrock)?.price.input == 1)
    }
}
