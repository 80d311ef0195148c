import Foundation
import Testing
import TokenAccounting

/// `ModelPrice.reservationCost(inputTokens:maxOutputTokens:)`: a reservation is priced at the highest rate any
/// of its tokens could be charged, so it is never below the cost of the call it stands for.
@Suite struct ReservationPricingTests {
    static let sampleMissing = !PricingFixtures.exists(PricingFixtures.liteLLMSample)

    private func yamlPrice(_ name: String) throws -> ModelPrice {
        try #require(PriceCatalog.bundledDefault().entry(named: name)).price
    }

    // MARK: Figures computed by hand

    /// claude-sonnet-4-5: input $3, cache write $3.75 (5m) / $6 (1h), output $15; above 200k input tokens
    /// input $6, cache write $7.50 / $12, output $22.50.
    @Test func claudeReservesAtTheOneHourCacheWriteRateAndTheTier() throws {
        let price = try yamlPrice("claude-sonnet-4-5")
        // 10,000 × $6/1M = $0.06; 2,000 × $15/1M = $0.03.
        #expect(try price.reservationCost(inputTokens: 10_000, maxOutputTokens: 2_000) == 90_000_000)
        // The plain cost (all input uncached) is only $0.06: the old reservation under-held by a third.
        #expect(price.cost(of: TokenUsage(inputTokens: 10_000, outputTokens: 2_000)) == 60_000_000)
        // A call that writes its whole prompt to the 1-hour cache costs exactly the reservation.
        let allWrites = TokenUsage(inputTokens: 10_000, cacheWriteTokens: 10_000, cacheWrite1hTokens: 10_000, outputTokens: 2_000)
        #expect(price.cost(of: allWrites) == 90_000_000)
        // At the threshold the base prices apply: 200,000 × $6 + 1,000 × $15 = $1.20 + $0.015.
        #expect(try price.reservationCost(inputTokens: 200_000, maxOutputTokens: 1_000) == 1_215_000_000)
        // One token more and the tier prices the whole call: 200,001 × $12 + 1,000 × $22.50.
        #expect(try price.reservationCost(inputTokens: 200_001, maxOutputTokens: 1_000) == 2_400_012_000 + 22_500_000)
    }

    /// claude-haiku-4-5 (LiteLLM sample): input $1, cache write 1.25× ($1.25) and 2× ($2, 1 hour), output $5.
    @Test(.disabled(if: sampleMissing, "shared/fixtures/litellm_model_prices_sample.json is not beside the repository"))
    func claudeHaikuFromLiteLLMReservesAtTwiceTheInputRate() throws {
        let catalog = try PriceCatalog.load(contentsOf: PricingFixtures.liteLLMSample.path)
        let price = try #require(catalog.entry(named: "claude-haiku-4-5")).price
        // 1,000,000 × $2/1M = $2; 100,000 × $5/1M = $0.50.
        #expect(try price.reservationCost(inputTokens: 1_000_000, maxOutputTokens: 100_000) == 2_500_000_000)
    }

    /// gemini-2.5-pro: input $1.25 (audio too), output $10; above 200k input tokens $2.50 and $15.
    @Test func geminiLongContextTierAppliesAboveTheThreshold() throws {
        let price = try yamlPrice("gemini-2.5-pro")
        // 100,000 × $1.25/1M = $0.125; 8,192 × $10/1M = $0.08192.
        #expect(try price.reservationCost(inputTokens: 100_000, maxOutputTokens: 8_192) == 125_000_000 + 81_920_000)
        // 300,000 × $2.50/1M = $0.75; 8,192 × $15/1M = $0.12288.
        #expect(try price.reservationCost(inputTokens: 300_000, maxOutputTokens: 8_192) == 750_000_000 + 122_880_000)
    }

    /// o3: input $2, output $8, reasoning billed as output (no reasoning price of its own).
    @Test func oSeriesReasoningIsReservedAtTheOutputRate() throws {
        let price = try yamlPrice("o3")
        // 5,000 × $2/1M = $0.01; 20,000 × $8/1M = $0.16.
        #expect(try price.reservationCost(inputTokens: 5_000, maxOutputTokens: 20_000) == 170_000_000)
        let allReasoning = TokenUsage(inputTokens: 5_000, outputTokens: 20_000, reasoningTokens: 20_000)
        #expect(price.cost(of: allReasoning) == 170_000_000)
    }

    @Test func separatelyPricedReasoningAndAudioRaiseTheOutputRate() throws {
        // Reasoning dearer than output: 1,000 × $1 + 1,000 × $10.
        let reasoning = ModelPrice(input: 1_000_000_000, output: 4_000_000_000, reasoning: 10_000_000_000)
        #expect(try reasoning.reservationCost(inputTokens: 1_000, maxOutputTokens: 1_000) == 11_000_000)
        // gpt-4o-audio-preview: audio input $40, audio output $80 (text $2.50 / $10).
        let audio = try yamlPrice("gpt-4o-audio-preview")
        #expect(try audio.reservationCost(inputTokens: 1_000, maxOutputTokens: 1_000) == 40_000_000 + 80_000_000)
    }

    @Test func fractionsOfANanoDollarRoundUp() throws {
        // 1 token at 0.4 nano-USD: the plain cost rounds half up to 0, the reservation up to 1.
        let tiny = ModelPrice(input: 400_000, output: 0)
        #expect(tiny.cost(of: TokenUsage(inputTokens: 1)) == 0)
        #expect(try tiny.reservationCost(inputTokens: 1, maxOutputTokens: 0) == 1)
        // 3 tokens at $0.0375/1M = 112.5 nano-USD → 113 both ways.
        let cached = ModelPrice(input: 37_500_000, output: 0)
        #expect(try cached.reservationCost(inputTokens: 3, maxOutputTokens: 0) == 113)
        #expect(try cached.reservationCost(inputTokens: 0, maxOutputTokens: 0) == 0)
    }

    // MARK: Bounds

    @Test func absurdCountsAreRefusedNamingTheField() throws {
        let price = ModelPrice(input: 1_000_000_000, output: 1_000_000_000)
        #expect(throws: UsageValidationError.self) { try price.reservationCost(inputTokens: -1, maxOutputTokens: 0) }
        let tooMany = TokenUsage.maximumCount + 1
        let output = #expect(throws: UsageValidationError.self) {
            try price.reservationCost(inputTokens: 0, maxOutputTokens: tooMany)
        }
        #expect(output?.message.contains("max_output_tokens") == true)
        let input = #expect(throws: UsageValidationError.self) {
            try price.reservationCost(inputTokens: .min, maxOutputTokens: 0)
        }
        #expect(input?.message.contains("input_tokens") == true)
    }

    @Test func theLargestCountsAtTheLargestPriceDoNotTrap() throws {
        let most = 10_000 * 1_000_000_000  // $10,000 per 1M, the largest price a catalog accepts.
        let price = ModelPrice(input: most, output: most)
        let count = TokenUsage.maximumCount
        // 2 × 10^10 tokens × $0.01 = $2 × 10^8 = 2 × 10^17 nano-USD.
        #expect(try price.reservationCost(inputTokens: count, maxOutputTokens: count) == 200_000_000_000_000_000)
        // Prices no catalog accepts saturate instead of trapping.
        let absurd = ModelPrice(input: .max, output: .max)
        #expect(try absurd.reservationCost(inputTokens: count, maxOutputTokens: count) == .max)
    }

    // MARK: Properties over every catalog model

    /// Every model of the bundled YAML and of the LiteLLM sample (when present).
    private func allPrices() throws -> [(name: String, price: ModelPrice)] {
        var prices = PriceCatalog.bundledDefault().entries.map { (name: "yaml:" + $0.name, price: $0.price) }
        if !Self.sampleMissing {
            let sample = try PriceCatalog.load(contentsOf: PricingFixtures.liteLLMSample.path)
            prices += sample.entries.map { (name: "litellm:" + $0.name, price: $0.price) }
        }
        return prices
    }

    /// Input counts worth trying for `price`: small, large, and both sides of its tier threshold.
    private func inputCounts(for price: ModelPrice, using generator: inout SplitMix64) -> [Int] {
        var counts = [0, 1, 7, Int.random(in: 1...5_000, using: &generator), Int.random(in: 1...2_000_000, using: &generator)]
        if let threshold = price.longContext?.thresholdInputTokens {
            counts += [threshold - 1, threshold, threshold + 1, threshold + Int.random(in: 2...500_000, using: &generator)]
        }
        return counts
    }

    /// A random split of `input` and `output` tokens into every class `TokenUsage` knows.
    private func randomSplit(input: Int, output: Int, using generator: inout SplitMix64) -> TokenUsage {
        func part(of total: Int) -> Int {
            // Often all or nothing, which is where the extremes are.
            switch Int.random(in: 0..<4, using: &generator) {
            case 0: 0
            case 1: total
            default: Int.random(in: 0...total, using: &generator)
            }
        }
        let cached = part(of: input)
        let writes = part(of: input - cached)
        let reasoning = part(of: output)
        return TokenUsage(
            inputTokens: input, cachedInputTokens: cached, cacheWriteTokens: writes, cacheWrite1hTokens: part(of: writes),
            outputTokens: output, reasoningTokens: reasoning,
            audioInputTokens: part(of: input), audioOutputTokens: part(of: output)
        )
    }

    @Test func reservationIsAtLeastTheCostOfEverySplit() throws {
        var generator = SplitMix64(seed: 0x5EED_0009)
        var checked = 0
        for (name, price) in try allPrices() {
            for input in inputCounts(for: price, using: &generator) {
                let output = [0, 1, Int.random(in: 1...200_000, using: &generator)][Int.random(in: 0..<3, using: &generator)]
                let reservation = try price.reservationCost(inputTokens: input, maxOutputTokens: output)
                for _ in 0..<40 {
                    let usage = randomSplit(input: input, output: output, using: &generator)
                    try usage.validate()
                    #expect(reservation >= price.cost(of: usage), "\(name): \(usage)")
                    if let billed = price.pricedCost(of: usage) {
                        #expect(reservation >= billed, "\(name): \(usage)")
                    }
                    checked += 1
                }
            }
        }
        #expect(checked > 10_000)
    }

    /// The reservation is not padded beyond the dearest split: some split of the same counts costs it, give or
    /// take the rounding (up for the reservation, half up for the cost).
    @Test func reservationIsTheCostOfTheDearestSplit() throws {
        var generator = SplitMix64(seed: 0x5EED_0010)
        for (name, price) in try allPrices() {
            for input in inputCounts(for: price, using: &generator) {
                let output = Int.random(in: 0...200_000, using: &generator)
                let reservation = try price.reservationCost(inputTokens: input, maxOutputTokens: output)
                let inputs = [
                    TokenUsage(inputTokens: input),
                    TokenUsage(inputTokens: input, cachedInputTokens: input),
                    TokenUsage(inputTokens: input, cacheWriteTokens: input),
                    TokenUsage(inputTokens: input, cacheWriteTokens: input, cacheWrite1hTokens: input),
                    TokenUsage(inputTokens: input, audioInputTokens: input),
                ]
                let outputs = [
                    TokenUsage(outputTokens: output),
                    TokenUsage(outputTokens: output, reasoningTokens: output),
                    TokenUsage(outputTokens: output, audioOutputTokens: output),
                ]
                let dearest = inputs.flatMap { i in outputs.map { price.cost(of: i + $0) } }.max() ?? 0
                #expect((0...1).contains(reservation - dearest), "\(name): input \(input), output \(output)")
            }
        }
    }

    /// A model with a single input and a single output rate reserves the plain cost, rounded up.
    @Test func singleRateModelsReserveThePlainCost() throws {
        var generator = SplitMix64(seed: 0x5EED_0011)
        var singleRate = try allPrices().map(\.price).filter { price in
            let rates = price.rates(forInputTokens: 0)
            return price.longContext == nil && rates.cacheRead <= rates.input && rates.cacheWrite5m == rates.input
                && rates.cacheWrite1h == rates.input && rates.reasoning == rates.output
                && (rates.audioInput ?? rates.input) <= rates.input && (rates.audioOutput ?? rates.output) <= rates.output
        }
        singleRate += (0..<50).map { _ in
            ModelPrice(input: Int.random(in: 0...20_000_000_000, using: &generator), output: Int.random(in: 0...80_000_000_000, using: &generator))
        }
        #expect(singleRate.count > 60)
        for price in singleRate {
            for _ in 0..<20 {
                let input = Int.random(in: 0...3_000_000, using: &generator)
                let output = Int.random(in: 0...300_000, using: &generator)
                let exact = Int128(input) * Int128(price.input) + Int128(output) * Int128(price.output)
                let plain = price.cost(of: TokenUsage(inputTokens: input, outputTokens: output))
                let reservation = try price.reservationCost(inputTokens: input, maxOutputTokens: output)
                #expect(Int128(reservation) == (exact + 999_999) / 1_000_000)
                if exact % 1_000_000 == 0 { #expect(reservation == plain) }
            }
        }
    }
}
