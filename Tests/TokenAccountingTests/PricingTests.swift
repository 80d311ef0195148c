import Foundation
import Testing
import TokenAccounting

/// Locations of files outside the test target: the package's config folder and the shared fixtures beside
/// the repository.
enum PricingFixtures {
    /// The package root (…/Tests/TokenAccountingTests/PricingTests.swift → …).
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let configYAML = packageRoot.appendingPathComponent("config/pricing.yaml")
    static let resourceYAML = packageRoot.appendingPathComponent("Sources/TokenAccounting/Resources/pricing.yaml")
    static let shared = packageRoot.deletingLastPathComponent().appendingPathComponent("shared")
    static let liteLLMSample = shared.appendingPathComponent("fixtures/litellm_model_prices_sample.json")
    static let pricingFacts = shared.appendingPathComponent("reference/pricing_facts.json")

    static func exists(_ url: URL) -> Bool { FileManager.default.fileExists(atPath: url.path) }
}

/// USD per 1M tokens → nano-USD per 1M tokens, for readable expectations.
func nanoPerMillion(_ dollars: Int) -> Int { dollars * 1_000_000_000 }

@Suite struct PricingTests {
    // MARK: Price parsing

    private func parse(_ text: String) throws -> Int {
        let catalog = try PriceCatalog.load(yaml: "models:\n  m:\n    input: \"\(text)\"\n    output: \"0\"\n")
        return try #require(catalog.entry(named: "m")).price.input
    }

    @Test func decimalPricesAreParsedExactly() throws {
        #expect(try parse("2.50") == 2_500_000_000)
        #expect(try parse("2.5") == 2_500_000_000)
        #expect(try parse("3") == 3_000_000_000)
        #expect(try parse("0.075") == 75_000_000)
        #expect(try parse("0.01875") == 18_750_000)
        #expect(try parse("0.000000001") == 1)
        #expect(try parse("0") == 0)
        #expect(try parse("10000") == 10_000_000_000_000)
    }

    @Test(arguments: ["-1", "1e-6", "0.0000000001", ".5", "5.", "", "abc", "1.2.3", "+1", " 1", "nan", ".inf", "10000.000000001", "99999999999999999999999"])
    func malformedDecimalPricesAreRejected(text: String) {
        #expect {
            _ = try parse(text)
        } throws: { error in
            guard let error = error as? PricingError else { return false }
            return error.code == .invalidPrice && error.model == "m" && error.field == "input"
        }
    }

    @Test func plainYAMLNumbersUseTheirTextNotADouble() throws {
        let yaml = """
        models:
          m: { input: 0.1, cache_read: 3, output: 0.3, reasoning: 1234.567890123 }
        """
        let price = try #require(PriceCatalog.load(yaml: yaml).entry(named: "m")).price
        #expect(price.input == 100_000_000)
        #expect(price.cacheRead == 3_000_000_000)
        #expect(price.output == 300_000_000)
        #expect(price.reasoning == 1_234_567_890_123)
    }

    @Test func exponentNotationInYAMLIsRejectedWithModelAndField() {
        #expect {
            _ = try PriceCatalog.load(yaml: "models:\n  gpt-4o:\n    input: 2.5e-6\n    output: 1\n")
        } throws: { error in
            (error as? PricingError)?.message
                == "model gpt-4o: price 'input' must be a non-negative decimal with at most 9 fractional digits (got \"2.5e-6\")"
        }
    }

    // MARK: Cost arithmetic

    @Test func handComputedCost() {
        let gpt4o = ModelPrice(input: 2_500_000_000, cacheRead: 1_250_000_000, output: nanoPerMillion(10))
        // 800 uncached × $2.50 + 200 cached × $1.25 + 500 output × $10 per 1M = $0.00725
        #expect(gpt4o.cost(of: TokenUsage(inputTokens: 1000, cachedInputTokens: 200, outputTokens: 500)) == 7_250_000)
        #expect(gpt4o.cost(of: .zero) == 0)
    }

    @Test func fractionalPricesRoundHalfUpOnceAtTheEnd() {
        let flashLite = ModelPrice(input: 75_000_000, cacheRead: 18_750_000, output: 300_000_000)
        #expect(flashLite.cost(of: TokenUsage(inputTokens: 1)) == 75)
        #expect(flashLite.cost(of: TokenUsage(inputTokens: 7)) == 525)
        // One cached token costs 18.75 nano-USD.
        #expect(flashLite.cost(of: TokenUsage(inputTokens: 1, cachedInputTokens: 1)) == 19)
        #expect(flashLite.cost(of: TokenUsage(inputTokens: 2, cachedInputTokens: 2)) == 38)  // 37.5 → 38
        #expect(flashLite.cost(of: TokenUsage(inputTokens: 4, cachedInputTokens: 4)) == 75)

        let nano = ModelPrice(input: 1, output: 1)  // 1 nano-USD per 1M tokens
        #expect(nano.cost(of: TokenUsage(inputTokens: 499_999)) == 0)
        #expect(nano.cost(of: TokenUsage(inputTokens: 500_000)) == 1)
        // 0.4 + 0.4 nano-USD: summed before rounding, not rounded per class.
        #expect(nano.cost(of: TokenUsage(inputTokens: 400_000, outputTokens: 400_000)) == 1)
    }

    @Test func longContextTierAppliesToTheWholeCallAboveTheThreshold() throws {
        let sonnet = try #require(PriceCatalog.bundledDefault().entry(named: "claude-sonnet-4-5")).price
        // At the threshold: base prices. 200,000 × $3 + 1,000 × $15 per 1M.
        #expect(sonnet.cost(of: TokenUsage(inputTokens: 200_000, outputTokens: 1000)) == 615_000_000)
        // One token more: every token at the tier's prices. 200,001 × $6 + 1,000 × $22.50 per 1M.
        #expect(sonnet.cost(of: TokenUsage(inputTokens: 200_001, outputTokens: 1000)) == 1_222_506_000)
        // Cache classes switch too: 200,001 cached reads × $0.60.
        #expect(sonnet.cost(of: TokenUsage(inputTokens: 200_001, cachedInputTokens: 200_001)) == 120_000_600)
        #expect(sonnet.rates(forInputTokens: 200_001).cacheWrite1h == nanoPerMillion(12))

        let gpt54 = try #require(PriceCatalog.bundledDefault().entry(named: "gpt-5.4")).price
        #expect(gpt54.rates(forInputTokens: 272_000).input == 2_500_000_000)
        #expect(gpt54.rates(forInputTokens: 272_001).input == nanoPerMillion(5))
        #expect(gpt54.rates(forInputTokens: 272_001).output == 22_500_000_000)
    }

    @Test func cacheWritesSplitIntoFiveMinuteAndOneHourPrices() throws {
        let sonnet = try #require(PriceCatalog.bundledDefault().entry(named: "claude-sonnet-4-5")).price
        let usage = TokenUsage(inputTokens: 10_000, cachedInputTokens: 3000, cacheWriteTokens: 4000, cacheWrite1hTokens: 1000)
        // 3,000 uncached × $3 + 3,000 reads × $0.30 + 3,000 5m writes × $3.75 + 1,000 1h writes × $6.
        #expect(sonnet.cost(of: usage) == 27_150_000)
    }

    @Test func absentPricesFallBack() {
        let bare = ModelPrice(input: nanoPerMillion(2), output: nanoPerMillion(8))
        let usage = TokenUsage(inputTokens: 1000, cachedInputTokens: 500, cacheWriteTokens: 300, cacheWrite1hTokens: 100, outputTokens: 10, reasoningTokens: 4)
        // Cached reads and both kinds of writes at the input price, reasoning at the output price.
        #expect(bare.cost(of: usage) == 1000 * 2000 + 10 * 8000)
        #expect(bare.rates(forInputTokens: 0) == ModelRates(input: nanoPerMillion(2), cacheRead: nanoPerMillion(2), cacheWrite5m: nanoPerMillion(2), cacheWrite1h: nanoPerMillion(2), output: nanoPerMillion(8), reasoning: nanoPerMillion(8)))

        let only5m = ModelPrice(input: nanoPerMillion(1), cacheWrite5m: nanoPerMillion(3), output: 0)
        #expect(only5m.rates(forInputTokens: 0).cacheWrite1h == nanoPerMillion(3))
        // 1h writes billed like 5m writes: 100 × $3.
        #expect(only5m.cost(of: TokenUsage(inputTokens: 100, cacheWriteTokens: 100, cacheWrite1hTokens: 100)) == 300_000)

        let tier = LongContextPrice(thresholdInputTokens: 10, input: nanoPerMillion(4), cacheWrite5m: nanoPerMillion(5), output: nanoPerMillion(6))
        let rates = tier.rates
        #expect(rates.cacheRead == nanoPerMillion(4) && rates.cacheWrite1h == nanoPerMillion(5) && rates.reasoning == nanoPerMillion(6))
    }

    @Test func reasoningHasItsOwnPriceWhenGiven() {
        let price = ModelPrice(input: nanoPerMillion(1), output: nanoPerMillion(2), reasoning: nanoPerMillion(3))
        // 60 output × $2 + 40 reasoning × $3 per 1M.
        #expect(price.cost(of: TokenUsage(outputTokens: 100, reasoningTokens: 40)) == 240_000)
        #expect(ModelPrice(input: nanoPerMillion(1), output: nanoPerMillion(2)).cost(of: TokenUsage(outputTokens: 100, reasoningTokens: 40)) == 200_000)
    }

    @Test func hugeCallsDoNotOverflow() {
        let max = TokenUsage.maximumCount  // 10^10
        let expensive = ModelPrice(input: nanoPerMillion(150), output: nanoPerMillion(150))
        // 10^10 × $150 per 1M = $1.5M per class; the products (1.5 × 10^21) exceed Int64.
        #expect(expensive.cost(of: TokenUsage(inputTokens: max)) == 1_500_000_000_000_000)
        #expect(expensive.cost(of: TokenUsage(inputTokens: max, outputTokens: max, reasoningTokens: max)) == 3_000_000_000_000_000)
        let absurd = ModelPrice(input: .max, cacheRead: .max, cacheWrite5m: .max, cacheWrite1h: .max, output: .max, reasoning: .max)
        #expect(absurd.cost(of: TokenUsage(inputTokens: .max, cachedInputTokens: .max, cacheWriteTokens: .max, cacheWrite1hTokens: .max, outputTokens: .max, reasoningTokens: .max)) == .max)
    }

    @Test func invalidUsageNeverCostsANegativeAmount() {
        let price = ModelPrice(input: nanoPerMillion(1), cacheRead: nanoPerMillion(1), output: nanoPerMillion(1))
        // cached > input: the negative uncached count counts as zero.
        #expect(price.cost(of: TokenUsage(inputTokens: 5, cachedInputTokens: 10)) == 10_000)
        #expect(price.cost(of: TokenUsage(inputTokens: -5, outputTokens: -3)) == 0)
        #expect(ModelPrice(input: -nanoPerMillion(1), output: nanoPerMillion(1)).cost(of: TokenUsage(inputTokens: 1_000_000)) == 0)
    }

    // MARK: Catalog

    @Test func unknownModelsAreNotPriced() {
        let catalog = PriceCatalog.bundledDefault()
        let usage = TokenUsage(inputTokens: 1000, outputTokens: 1000)
        #expect(catalog.cost(model: "llama-3-70b-instruct", provider: .openaiCompatible, usage: usage) == CostResult(nanoUSD: 0, priced: false, matchedModel: nil))
        #expect(catalog.cost(model: nil, provider: .openai, usage: usage) == .unpriced)
        #expect(PriceCatalog().cost(model: "gpt-4o", provider: .openai, usage: usage) == .unpriced)
    }

    @Test func catalogCostNamesTheMatchedModel() {
        let result = PriceCatalog.bundledDefault().cost(model: "gpt-4o-2024-08-06", provider: .openai, usage: TokenUsage(inputTokens: 1_000_000))
        #expect(result == CostResult(nanoUSD: 2_500_000_000, priced: true, matchedModel: "gpt-4o"))
    }

    /// One copy only: `config/pricing.yaml` leads to the module's resource, and that file is what the binary embeds.
    @Test func embeddedDefaultIsTheResourceFileAndTheConfigFile() throws {
        let resource = try Data(contentsOf: PricingFixtures.resourceYAML)
        #expect(Array(PriceCatalog.bundledDefaultYAML.utf8) == [UInt8](resource))
        #expect(try Data(contentsOf: PricingFixtures.configYAML) == resource)
        let fromFile = try PriceCatalog.load(contentsOf: PricingFixtures.configYAML.path)
        #expect(fromFile.entries == PriceCatalog.bundledDefault().entries)
    }

    /// Every entry of the bundled list names where its prices come from.
    @Test func everyBundledEntryCitesItsSource() throws {
        let lines = PriceCatalog.bundledDefaultYAML.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var sourced = false
        var checked = 0
        for line in lines.drop(while: { $0 != "models:" }).dropFirst() {
            if line.hasPrefix("  # src: ") {
                sourced = true
            } else if line.hasPrefix("  ") && !line.hasPrefix("   ") && !line.hasPrefix("  #") && line.hasSuffix(":") {
                #expect(sourced, "\(line) has no '# src:' comment above it")
                sourced = false
                checked += 1
            }
        }
        #expect(checked == PriceCatalog.bundledDefault().entries.count)
    }

    @Test func bundledDefaultIsConsistent() throws {
        let catalog = PriceCatalog.bundledDefault()
        #expect(catalog.entries.count >= 40)
        for entry in catalog.entries {
            let base = entry.price.rates(forInputTokens: 0)
            #expect(base.cacheRead <= base.input, "\(entry.name): cache reads cost more than input")
            #expect(base.cacheWrite1h >= base.cacheWrite5m, "\(entry.name): 1h writes cost less than 5m writes")
            #expect(base.cacheWrite5m >= base.input || entry.price.cacheWrite5m == nil, "\(entry.name): cache writes cost less than input")
            if let tier = entry.price.longContext {
                let long = tier.rates
                #expect(long.input >= base.input && long.output >= base.output && long.cacheRead >= base.cacheRead, "\(entry.name): tier cheaper than base")
                // A tier that drops the audio price would make long audio calls unpriced.
                #expect((tier.audioInput == nil) == (entry.price.audioInput == nil), "\(entry.name): tier and base disagree on audio")
            }
            // Audio never costs less than text.
            if let audio = entry.price.audioInput { #expect(audio >= entry.price.input, "\(entry.name): audio input cheaper than text") }
            if let audio = entry.price.audioOutput { #expect(audio >= entry.price.output, "\(entry.name): audio output cheaper than text") }
        }
    }

    @Test(.disabled(if: !PricingFixtures.exists(PricingFixtures.pricingFacts), "shared/reference/pricing_facts.json is not beside the repository"))
    func bundledDefaultPricesEveryFoundModelOfThePricingFacts() throws {
        let facts = try JSONSerialization.jsonObject(with: Data(contentsOf: PricingFixtures.pricingFacts)) as? [String: Any]
        let models = try #require(facts?["models"] as? [[String: Any]])
        let catalog = PriceCatalog.bundledDefault()
        // Values the bundled list deliberately does not copy (see the ANOMALY comments in config/pricing.yaml).
        let anomalies: Set<String> = ["claude-3-haiku-20240307/cache_write_1h", "claude-3-opus-20240229/cache_write_1h"]
        var checked = 0
        for model in models where model["status"] as? String == "found" {
            let key = try #require(model["litellm_key"] as? String)
            let prices = try #require(model["usd_per_1M"] as? [String: Any])
            let match = try #require(catalog.match(model: key), "\(key) is not priced")
            let rates = match.price.rates(forInputTokens: 0)
            let fields: [(String, Int)] = [
                ("input", rates.input), ("cached_input_or_cache_read", rates.cacheRead), ("cache_write_5m", rates.cacheWrite5m),
                ("cache_write_1h", rates.cacheWrite1h), ("output", rates.output), ("reasoning_output_if_separate", rates.reasoning),
            ]
            for (field, actual) in fields {
                guard let dollars = prices[field] as? Double, !anomalies.contains("\(key)/\(field)") else { continue }
                #expect(actual == Int((dollars * 1e9).rounded()), "\(key) \(field)")
            }
            checked += 1
        }
        #expect(checked >= 30)
        #expect(catalog.entry(named: "claude-3-haiku")?.price.cacheWrite1h == 500_000_000)
        #expect(catalog.entry(named: "claude-3-opus")?.price.cacheWrite1h == nanoPerMillion(30))
    }

    // MARK: Loading errors

    private func loadError(_ yaml: String) -> PricingError? {
        do {
            _ = try PriceCatalog.load(yaml: yaml)
            return nil
        } catch {
            return error
        }
    }

    @Test func badDocumentsThrowTypedErrors() throws {
        let notYAML = try #require(loadError("models: [unclosed"))
        #expect(notYAML.code == .invalidDocument)
        #expect(loadError("- a\n- b\n")?.code == .invalidDocument)
        #expect(loadError("prices: {}\n")?.code == .invalidDocument)
        #expect(loadError("models: []\n")?.code == .invalidDocument)

        let missingOutput = try #require(loadError("models:\n  m: { input: 1 }\n"))
        #expect(missingOutput.code == .invalidDocument && missingOutput.model == "m" && missingOutput.field == "output")

        let typo = try #require(loadError("models:\n  m: { input: 1, output: 1, cache_reads: 1 }\n"))
        #expect(typo.code == .invalidDocument && typo.field == "cache_reads")

        let tierTypo = try #require(loadError("models:\n  m: { input: 1, output: 1, long_context: { above_input_tokens: 10, input: 2, ouput: 3 } }\n"))
        #expect(tierTypo.field == "long_context.ouput")

        let noThreshold = try #require(loadError("models:\n  m: { input: 1, output: 1, long_context: { input: 2, output: 3 } }\n"))
        #expect(noThreshold.field == "long_context.above_input_tokens")
        #expect(loadError("models:\n  m: { input: 1, output: 1, long_context: { above_input_tokens: 2e5, input: 2, output: 3 } }\n")?.field == "long_context.above_input_tokens")

        let tierPrice = try #require(loadError("models:\n  m: { input: 1, output: 1, long_context: { above_input_tokens: 10, input: \"-2\", output: 3 } }\n"))
        #expect(tierPrice.code == .invalidPrice && tierPrice.field == "long_context.input")

        #expect(loadError("models:\n  m: { input: [1], output: 1 }\n")?.field == "input")
        #expect(loadError("models:\n  m: { input: 1, output: 1, aliases: a }\n")?.field == "aliases")
        #expect(loadError("models:\n  m: { input: 1, output: 1 }\n  m: { input: 2, output: 2 }\n")?.code == .invalidDocument)
    }

    @Test func audioAndWebSearchPricesAreReadFromYAML() throws {
        let catalog = try PriceCatalog.load(yaml: """
        models:
          m:
            input: "2.50"
            output: "10"
            audio_input: "40"
            audio_output: 80.5
            web_search_per_1k: "10.00"
            long_context: { above_input_tokens: 1000, input: "5", output: "20", audio_input: "50", audio_output: "100" }
        """)
        let price = try #require(catalog.entry(named: "m")).price
        #expect(price.audioInput == nanoPerMillion(40) && price.audioOutput == 80_500_000_000 && price.webSearchPer1k == nanoPerMillion(10))
        #expect(price.longContext?.audioInput == nanoPerMillion(50) && price.longContext?.audioOutput == nanoPerMillion(100))
        #expect(price.rates(forInputTokens: 1001).webSearchPer1k == nanoPerMillion(10))

        let perRequestInTier = loadError("models:\n  m:\n    input: 1\n    output: 1\n    long_context: {above_input_tokens: 1, input: 1, output: 1, web_search_per_1k: 1}\n")
        #expect(perRequestInTier?.field == "long_context.web_search_per_1k")
        let negative = loadError("models:\n  m:\n    input: 1\n    output: 1\n    audio_input: \"-1\"\n")
        #expect(negative?.code == .invalidPrice && negative?.model == "m" && negative?.field == "audio_input")
        #expect {
            _ = try PriceCatalog(entries: [.init(name: "m", price: ModelPrice(input: 0, output: 0, webSearchPer1k: -1))])
        } throws: { ($0 as? PricingError)?.message.contains("1,000 requests") == true }
    }

    @Test func nameCollisionsAreRejectedCaseInsensitively() {
        #expect(loadError("models:\n  gpt-4o: { input: 1, output: 1 }\n  GPT-4o: { input: 2, output: 2 }\n")?.code == .duplicateName)
        let alias = loadError("models:\n  a: { input: 1, output: 1 }\n  b: { input: 2, output: 2, aliases: [A] }\n")
        #expect(alias?.code == .duplicateName && alias?.model == "b" && alias?.field == "aliases")
        #expect(loadError("models:\n  a: { input: 1, output: 1, aliases: [x] }\n  b: { input: 2, output: 2, aliases: [x] }\n")?.code == .duplicateName)
        // An alias equal to the entry's own name is harmless.
        #expect(loadError("models:\n  a: { input: 1, output: 1, aliases: [A, a-1, a-1] }\n") == nil)
    }

    @Test func nullOptionalFieldsAreAbsentButQuotedNullIsNotAPrice() throws {
        let catalog = try PriceCatalog.load(yaml: "models:\n  m: { input: 1, cache_read: null, cache_write_1h: ~, output: 1, provider: openai, aliases: [m-2024-01-01] }\n")
        let entry = try #require(catalog.entry(named: "m"))
        #expect(entry.price.cacheRead == nil && entry.price.cacheWrite1h == nil)
        #expect(entry.provider == .openai)
        #expect(entry.aliases == ["m-2024-01-01"])
        #expect(loadError("models:\n  m: { input: 1, cache_read: \"null\", output: 1 }\n")?.code == .invalidPrice)
    }

    @Test func loadContentsOfDetectsTheFormat() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("quotad-pricing-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        let yamlFile = directory.appendingPathComponent("prices.yml")
        try Data("models:\n  my-model: { input: \"1.5\", output: \"2\" }\n".utf8).write(to: yamlFile)
        #expect(try PriceCatalog.load(contentsOf: yamlFile.path).entry(named: "my-model")?.price.input == 1_500_000_000)

        let jsonFile = directory.appendingPathComponent("litellm.JSON")
        try Data(#"{"my-model": {"input_cost_per_token": 1.5e-06, "output_cost_per_token": 2e-06}}"#.utf8).write(to: jsonFile)
        #expect(try PriceCatalog.load(contentsOf: jsonFile.path).entry(named: "my-model")?.price.output == nanoPerMillion(2))

        #expect {
            _ = try PriceCatalog.load(contentsOf: directory.appendingPathComponent("missing.yaml").path)
        } throws: { ($0 as? PricingError)?.code == .unreadableFile }
    }

    @Test func mergingLetsTheOtherCatalogWin() throws {
        let base = PriceCatalog.bundledDefault()
        let override = try PriceCatalog.load(yaml: """
        models:
          gpt-4o: { input: 1, output: 2 }
          house-model: { input: "0.5", output: 1, aliases: [claude-3-7-sonnet-latest, gpt-4.1] }
        """)
        let merged = base.merging(override)
        #expect(merged.match(model: "gpt-4o")?.price == ModelPrice(input: nanoPerMillion(1), output: nanoPerMillion(2)))
        // The overridden entry's old aliases are gone with it: the dated name now normalizes to the new entry.
        #expect(merged.match(model: "gpt-4o-2024-08-06")?.price.input == nanoPerMillion(1))
        // An alias of the override takes a name and an alias away from the base.
        #expect(merged.match(model: "gpt-4.1")?.matchedName == "house-model")
        #expect(merged.match(model: "claude-3-7-sonnet-latest")?.matchedName == "house-model")
        #expect(merged.match(model: "claude-3-7-sonnet-20250219")?.matchedName == "claude-3-7-sonnet")
        #expect(merged.match(model: "gpt-4.1-mini")?.matchedName == "gpt-4.1-mini")
        // gpt-4o and gpt-4.1 were replaced, house-model was added.
        #expect(merged.entries.count == base.entries.count)
        #expect(base.match(model: "gpt-4o")?.price.input == 2_500_000_000)
    }

    @Test func programmaticCatalogsAreChecked() {
        #expect(throws: PricingError.self) { try PriceCatalog(entries: [.init(name: " ", price: ModelPrice(input: 0, output: 0))]) }
        #expect(throws: PricingError.self) { try PriceCatalog(entries: [.init(name: "m", price: ModelPrice(input: -1, output: 0))]) }
        #expect(throws: PricingError.self) {
            try PriceCatalog(entries: [.init(name: "m", price: ModelPrice(input: 0, output: 0, longContext: LongContextPrice(thresholdInputTokens: -1, input: 0, output: 0)))])
        }
    }
}
