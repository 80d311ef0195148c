import Foundation
import Testing
import TokenAccounting

@Suite struct LiteLLMCatalogTests {
    private func load(_ json: String) throws(PricingError) -> PriceCatalog {
        try PriceCatalog.load(liteLLMJSON: Array(json.utf8))
    }

    private func sample() throws -> PriceCatalog {
        try PriceCatalog.load(contentsOf: PricingFixtures.liteLLMSample.path)
    }

    static let sampleMissing = !PricingFixtures.exists(PricingFixtures.liteLLMSample)

    @Test(.disabled(if: sampleMissing, "shared/fixtures/litellm_model_prices_sample.json is not beside the repository"))
    func sampleLoads() throws {
        let catalog = try sample()
        #expect(catalog.entries.count == 31)
        let gpt4o = try #require(catalog.entry(named: "gpt-4o"))
        #expect(gpt4o.provider == .openai)
        #expect(gpt4o.price == ModelPrice(input: 2_500_000_000, cacheRead: 1_250_000_000, output: 10_000_000_000))
        #expect(catalog.entry(named: "gemini-2.0-flash-lite")?.price.cacheRead == 18_750_000)
        #expect(catalog.entry(named: "gemini-2.5-flash")?.price.reasoning == 2_500_000_000)
        #expect(catalog.entry(named: "gemini-2.5-flash")?.provider == .googleGemini)
        #expect(catalog.entry(named: "gpt-5-nano")?.price.cacheRead == 5_000_000)
        #expect(catalog.entry(named: "text-embedding-3-small")?.price.output == 0)

        let bedrock = try #require(catalog.entry(named: "bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0"))
        #expect(bedrock.provider == .awsBedrock)
        #expect(bedrock.price == ModelPrice(input: 800_000_000, cacheRead: 80_000_000, cacheWrite5m: 1_000_000_000, output: 4_000_000_000))

        #expect(catalog.entry(named: "gpt-5.4")?.price.longContext == LongContextPrice(
            thresholdInputTokens: 272_000, input: 5_000_000_000, cacheRead: 500_000_000, output: 22_500_000_000
        ))
        #expect(catalog.entry(named: "claude-sonnet-4-5")?.price.longContext == LongContextPrice(
            thresholdInputTokens: 200_000, input: 6_000_000_000, cacheRead: 600_000_000,
            cacheWrite5m: 7_500_000_000, cacheWrite1h: 12_000_000_000, output: 22_500_000_000
        ))
        // Matching works on LiteLLM names too.
        #expect(catalog.match(model: "us.anthropic.claude-3-5-haiku-20241022-v1:0")?.matchedName == "bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0")
    }

    /// The sample and the bundled YAML price every shared model alike, except for the documented anomalies
    /// (the ANOMALY comments in config/pricing.yaml).
    @Test(.disabled(if: sampleMissing, "shared/fixtures/litellm_model_prices_sample.json is not beside the repository"))
    func samplePricesEqualTheBundledYAML() throws {
        let liteLLM = try sample()
        let yaml = PriceCatalog.bundledDefault()
        // model → fields (below/above the tier) whose values differ on purpose, with the YAML's value.
        let anomalies: [String: [String: Int]] = [
            "claude-3-haiku-20240307": ["base.cacheWrite1h": 500_000_000],
            "claude-3-opus-20240229": ["base.cacheWrite1h": 30_000_000_000],
            "claude-sonnet-4-20250514": ["tier.cacheWrite1h": 12_000_000_000],
            "gemini-2.5-pro": ["tier.cacheWrite5m": 2_500_000_000, "tier.cacheWrite1h": 2_500_000_000],
        ]
        for entry in liteLLM.entries {
            let match = try #require(yaml.match(model: entry.name), "\(entry.name) is not in the bundled YAML")
            #expect(match.price.longContext?.thresholdInputTokens == entry.price.longContext?.thresholdInputTokens, "\(entry.name)")
            let points = entry.price.longContext.map { [("base", 0), ("tier", $0.thresholdInputTokens + 1)] } ?? [("base", 0)]
            for (tier, inputTokens) in points {
                let expected = describe(entry.price.rates(forInputTokens: inputTokens), tier)
                let actual = describe(match.price.rates(forInputTokens: inputTokens), tier)
                for (field, value) in expected {
                    let wanted = anomalies[entry.name]?[field] ?? value
                    #expect(actual[field] == wanted, "\(entry.name) \(field)")
                }
            }
            // Where LiteLLM has an audio price, the bundled list has the same one.
            if let audio = entry.price.audioInput { #expect(match.price.audioInput == audio, "\(entry.name) audio input") }
            if let audio = entry.price.audioOutput { #expect(match.price.audioOutput == audio, "\(entry.name) audio output") }
        }
    }

    private func describe(_ rates: ModelRates, _ prefix: String) -> [String: Int] {
        [
            "\(prefix).input": rates.input, "\(prefix).cacheRead": rates.cacheRead, "\(prefix).cacheWrite5m": rates.cacheWrite5m,
            "\(prefix).cacheWrite1h": rates.cacheWrite1h, "\(prefix).output": rates.output, "\(prefix).reasoning": rates.reasoning,
        ]
    }

    @Test func perTokenFloatsAreConvertedExactly() throws {
        let catalog = try load("""
        {"m": {"input_cost_per_token": 1.25e-07, "cache_read_input_token_cost": 1.875e-08, "output_cost_per_token": 2.25e-05,
               "cache_creation_input_token_cost": 3.75e-06, "cache_creation_input_token_cost_above_1hr": 6e-06,
               "output_cost_per_reasoning_token": 0.0000035, "input_cost_per_token_batches": 1e-09}}
        """)
        #expect(catalog.entry(named: "m")?.price == ModelPrice(
            input: 125_000_000, cacheRead: 18_750_000, cacheWrite5m: 3_750_000_000, cacheWrite1h: 6_000_000_000,
            output: 22_500_000_000, reasoning: 3_500_000_000
        ))
    }

    @Test func audioAndWebSearchPricesAreImported() throws {
        let catalog = try load("""
        {"audio": {"input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05,
                   "input_cost_per_audio_token": 4e-05, "output_cost_per_audio_token": 8e-05},
         "claude": {"input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05,
                    "search_context_cost_per_query": {"search_context_size_low": 0.01, "search_context_size_medium": 0.01,
                                                      "search_context_size_high": 0.01}},
         "search": {"input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05,
                    "search_context_cost_per_query": {"search_context_size_low": 0.03, "search_context_size_medium": 0.035,
                                                      "search_context_size_high": 0.05, "search_context_size_odd": null}},
         "grounded": {"input_cost_per_token": 1e-07, "output_cost_per_token": 4e-07, "web_search_billing_unit": "per_prompt",
                      "search_context_cost_per_query": {"search_context_size_high": 0.035}},
         "perquery": {"input_cost_per_token": 1e-07, "output_cost_per_token": 4e-07, "web_search_billing_unit": "per_query",
                      "search_context_cost_per_query": {"search_context_size_high": 0.014}},
         "tiered": {"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06, "input_cost_per_audio_token": 3e-06,
                    "input_cost_per_token_above_200k_tokens": 2e-06, "input_cost_per_audio_token_above_200k_tokens": 6e-06}}
        """)
        let audio = try #require(catalog.entry(named: "audio")).price
        #expect(audio.audioInput == nanoPerMillion(40) && audio.audioOutput == nanoPerMillion(80) && audio.webSearchPer1k == nil)
        // $0.01 per search = $10 per 1,000.
        #expect(catalog.entry(named: "claude")?.price.webSearchPer1k == nanoPerMillion(10))
        // The highest size: a call is never under-billed for a size the usage does not report.
        #expect(catalog.entry(named: "search")?.price.webSearchPer1k == nanoPerMillion(50))
        // Billed per grounded prompt: not a per-request price, so none.
        #expect(catalog.entry(named: "grounded")?.price.webSearchPer1k == nil)
        #expect(catalog.entry(named: "perquery")?.price.webSearchPer1k == nanoPerMillion(14))
        let tier = try #require(catalog.entry(named: "tiered")?.price.longContext)
        #expect(tier.audioInput == nanoPerMillion(6) && tier.audioOutput == nil)
        #expect {
            _ = try load(#"{"m": {"input_cost_per_token": 1e-06, "search_context_cost_per_query": 0.01}}"#)
        } throws: { ($0 as? PricingError)?.field == "search_context_cost_per_query" }
        #expect {
            _ = try load(#"{"m": {"input_cost_per_token": 1e-06, "search_context_cost_per_query": {"search_context_size_high": -1}}}"#)
        } throws: { ($0 as? PricingError)?.field == "search_context_cost_per_query.search_context_size_high" }
    }

    @Test func nonModelAndNonTokenEntriesAreSkipped() throws {
        let catalog = try load("""
        {"sample_spec": {"input_cost_per_token": 0.0, "max_tokens": "LEGACY parameter"},
         "dall-e-3": {"output_cost_per_image": 0.04, "mode": "image_generation"},
         "whisper-1": {"input_cost_per_second": 0.0001},
         "odd": "not an object",
         "embed": {"input_cost_per_token": 1e-07, "mode": "embedding", "supports_x": true, "source": "https://example.com"}}
        """)
        #expect(catalog.entries.map(\.name) == ["embed"])
        // An absent output price is zero, as in LiteLLM.
        #expect(catalog.entry(named: "embed")?.price.output == 0)
    }

    @Test func tiersUseTheLowestThresholdAndFallBackToBasePrices() throws {
        let catalog = try load("""
        {"m": {"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06,
               "output_cost_per_token_above_128k_tokens": 4e-06,
               "input_cost_per_token_above_200k_tokens": 9e-06,
               "input_cost_per_token_above_200k_tokens_priority": 1e-05}}
        """)
        #expect(catalog.entry(named: "m")?.price.longContext == LongContextPrice(thresholdInputTokens: 128_000, input: 1_000_000_000, output: 4_000_000_000))
    }

    @Test func providersAreMapped() throws {
        let catalog = try load("""
        {"a": {"input_cost_per_token": 0, "litellm_provider": "azure"},
         "b": {"input_cost_per_token": 0, "litellm_provider": "vertex_ai-language-models"},
         "c": {"input_cost_per_token": 0, "litellm_provider": "bedrock_converse"},
         "d": {"input_cost_per_token": 0, "litellm_provider": "deepseek"},
         "e": {"input_cost_per_token": 0}}
        """)
        #expect(catalog.entries.map(\.provider) == [.azureOpenAI, .googleGemini, .awsBedrock, Provider(rawValue: "deepseek"), nil])
    }

    @Test func badPricesThrowTypedErrorsNamingModelAndField() {
        #expect {
            _ = try load(#"{"m": {"input_cost_per_token": -1e-06, "output_cost_per_token": 1e-06}}"#)
        } throws: { error in
            let error = error as? PricingError
            return error?.code == .invalidPrice && error?.model == "m" && error?.field == "input_cost_per_token"
        }
        #expect {
            _ = try load(#"{"m": {"input_cost_per_token": 1e-06, "output_cost_per_token": "0.000002"}}"#)
        } throws: { ($0 as? PricingError)?.field == "output_cost_per_token" }
        #expect {
            _ = try load(#"{"m": {"input_cost_per_token": 1.0, "output_cost_per_token": 0}}"#)  // $1,000,000 per 1M tokens
        } throws: { ($0 as? PricingError)?.code == .invalidPrice }
        #expect { _ = try load("[1, 2]") } throws: { ($0 as? PricingError)?.code == .invalidDocument }
        #expect { _ = try load("{") } throws: { ($0 as? PricingError)?.code == .invalidDocument }
    }

    @Test(.disabled(if: sampleMissing, "shared/fixtures/litellm_model_prices_sample.json is not beside the repository"))
    func aLiteLLMFileCanBeMergedOverTheDefaults() throws {
        let merged = PriceCatalog.bundledDefault().merging(try sample())
        // The LiteLLM entry (with its anomalous 1h price) now wins for its exact name ...
        #expect(merged.match(model: "claude-3-haiku-20240307")?.price.cacheWrite1h == 6_000_000_000)
        // ... while names only the YAML knows still resolve.
        #expect(merged.match(model: "claude-3-haiku")?.price.cacheWrite1h == 500_000_000)
        #expect(merged.match(model: "claude-opus-4-6")?.matchedName == "claude-opus-4-6")
    }
}
