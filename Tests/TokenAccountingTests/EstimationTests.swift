import Testing
import TokenAccounting

@Suite struct EstimationTests {
    let estimator = TokenEstimator()

    // MARK: Heuristic

    @Test func textEstimateRoundsUpAndGrowsWithLength() {
        #expect(estimator.estimateTokens(text: "", provider: .openai) == 0)
        #expect(estimator.estimateTokens(text: "a", provider: .openai) == 1)
        #expect(estimator.estimateTokens(text: "abcd", provider: .openai) == 1)
        #expect(estimator.estimateTokens(text: "abcde", provider: .openai) == 2)
        var previous = 0
        for length in stride(from: 0, through: 2_000, by: 7) {
            let tokens = estimator.estimateTokens(text: String(repeating: "x", count: length), provider: .anthropic)
            #expect(tokens >= previous)
            previous = tokens
        }
        #expect(previous == 570)  // 1,995 bytes / 3.5
    }

    @Test func textEstimateDependsOnTheProvider() {
        let text = String(repeating: "a", count: 400)
        #expect(estimator.estimateTokens(text: text, provider: .openai) == 100)
        #expect(estimator.estimateTokens(text: text, provider: .azureOpenAI) == 100)
        #expect(estimator.estimateTokens(text: text, provider: .googleGemini) == 100)
        #expect(estimator.estimateTokens(text: text, provider: .anthropic) == 115)
        #expect(estimator.estimateTokens(text: text, provider: .awsBedrock) == 115)
        #expect(estimator.estimateTokens(text: text, provider: Provider(rawValue: "cohere")) == 115)
    }

    @Test func nonLatinTextWeighsByUTF8Bytes() {
        // Three CJK characters are 9 UTF-8 bytes.
        #expect(estimator.estimateTokens(text: "日本語", provider: .openai) == 3)
        #expect(estimator.estimateTokens(text: "日本語", provider: .openai) > estimator.estimateTokens(text: "abc", provider: .openai))
    }

    @Test func chatEstimateAddsFramingPerMessage() {
        let content = String(repeating: "a", count: 400)
        #expect(estimator.estimateInputTokens(messages: [], provider: .openai) == 0)
        // 3 priming + 4 framing + 1 ("user") + 100 (content)
        #expect(estimator.estimateInputTokens(messages: [ChatMessage(role: "user", content: content)], provider: .openai) == 108)
        var messages: [ChatMessage] = []
        var previous = 0
        for index in 0..<20 {
            messages.append(ChatMessage(role: index.isMultiple(of: 2) ? "user" : "assistant", content: "message \(index)"))
            let tokens = estimator.estimateInputTokens(messages: messages, provider: .anthropic)
            #expect(tokens > previous)
            previous = tokens
        }
    }

    @Test func estimatesSaturateAtTheMaximumCount() {
        let extreme = TokenEstimator(tokensPerMessage: .max, replyPrimingTokens: .max)
        let messages = Array(repeating: ChatMessage(role: "user", content: "hi"), count: 5)
        #expect(extreme.estimateInputTokens(messages: messages, provider: .openai) == TokenUsage.maximumCount)
    }

    @Test func unusableRatiosFallBack() {
        let estimator = TokenEstimator(bytesPerToken: [.openai: 0, .anthropic: .nan, .googleGemini: 2], fallbackBytesPerToken: -1)
        #expect(estimator.bytesPerToken(for: .openai) == 3.5)
        #expect(estimator.bytesPerToken(for: .anthropic) == 3.5)
        #expect(estimator.bytesPerToken(for: .googleGemini) == 2)
        #expect(estimator.bytesPerToken(for: .mistral) == 3.5)
        #expect(estimator.estimateTokens(text: "abcd", provider: .googleGemini) == 2)
    }

    @Test func estimateRecordIsMarkedEstimatedAndCalibrated() {
        let messages = [ChatMessage(role: "user", content: String(repeating: "a", count: 400))]
        let plain = estimator.estimate(messages: messages, provider: .openai, model: "gpt-4o", maxOutputTokens: 256)
        #expect(plain.source == .estimated)
        #expect(plain.provider == .openai)
        #expect(plain.model == "gpt-4o")
        #expect(plain.usage == TokenUsage(inputTokens: 108, outputTokens: 256))

        let calibrator = UsageCalibrator()
        calibrator.record(model: "gpt-4o", estimated: 100, reported: 150)
        let calibrated = estimator.estimate(messages: messages, provider: .openai, model: "gpt-4o", calibrator: calibrator)
        #expect(calibrated.usage == TokenUsage(inputTokens: 162, outputTokens: 0))
        let otherModel = estimator.estimate(messages: messages, provider: .openai, model: "gpt-4.1", calibrator: calibrator)
        #expect(otherModel.usage.inputTokens == 108)
        let negativeOutput = estimator.estimate(messages: messages, provider: .openai, model: nil, maxOutputTokens: -5, calibrator: calibrator)
        #expect(negativeOutput.usage.outputTokens == 0)
        #expect(negativeOutput.usage.inputTokens == 108)
    }

    // MARK: Calibrator

    @Test func calibratorStartsNeutral() {
        let calibrator = UsageCalibrator()
        #expect(calibrator.factor(for: "m") == 1)
        #expect(calibrator.calibrated(100, model: "m") == 100)
        #expect(calibrator.calibrated(0, model: "m") == 0)
        #expect(calibrator.calibrated(-3, model: "m") == 0)
    }

    @Test func calibratorUsesTheMedian() {
        let calibrator = UsageCalibrator()
        for reported in [150, 150, 150, 300, 300, 90] { calibrator.record(model: "m", estimated: 100, reported: reported) }
        // Sorted ratios 0.9, 1.5, 1.5, 1.5, 3, 3: median 1.5.
        #expect(calibrator.factor(for: "m") == 1.5)
        calibrator.record(model: "m", estimated: 100, reported: 300)
        calibrator.record(model: "m", estimated: 100, reported: 300)
        // 0.9, 1.5, 1.5, 1.5, 3, 3, 3, 3: median (1.5 + 3) / 2.
        #expect(calibrator.factor(for: "m") == 2.25)
        #expect(calibrator.calibrated(3, model: "m") == 7)  // 6.75 rounded up
        #expect(calibrator.factor(for: "other") == 1)
    }

    @Test func calibratorKeepsOnlyTheMostRecentWindow() {
        let calibrator = UsageCalibrator(windowSize: 50)
        for _ in 0..<10 { calibrator.record(model: "m", estimated: 100, reported: 400) }
        for _ in 0..<50 { calibrator.record(model: "m", estimated: 100, reported: 110) }
        #expect(calibrator.observationCount(for: "m") == 50)
        #expect(calibrator.factor(for: "m") == 1.1)
        for _ in 0..<26 { calibrator.record(model: "m", estimated: 100, reported: 200) }
        #expect(calibrator.observationCount(for: "m") == 50)
        #expect(calibrator.factor(for: "m") == 2)
    }

    @Test func calibratorClampsAndIgnoresUselessPoints() {
        let calibrator = UsageCalibrator()
        calibrator.record(model: "high", estimated: 10, reported: 10_000)
        #expect(calibrator.factor(for: "high") == UsageCalibrator.maximumFactor)
        calibrator.record(model: "low", estimated: 10_000, reported: 1)
        #expect(calibrator.factor(for: "low") == UsageCalibrator.minimumFactor)
        calibrator.record(model: "zero", estimated: 0, reported: 50)
        calibrator.record(model: "zero", estimated: -4, reported: 50)
        calibrator.record(model: "zero", estimated: 10, reported: -1)
        #expect(calibrator.observationCount(for: "zero") == 0)
        #expect(calibrator.factor(for: "zero") == 1)
        calibrator.record(model: "max", estimated: 1, reported: 4)
        #expect(calibrator.calibrated(TokenUsage.maximumCount, model: "max") == TokenUsage.maximumCount)
    }

    @Test func calibratorBoundsTheNumberOfModels() {
        let calibrator = UsageCalibrator(windowSize: 5, maximumModels: 2)
        calibrator.record(model: "a", estimated: 100, reported: 200)
        calibrator.record(model: "b", estimated: 100, reported: 300)
        calibrator.record(model: "a", estimated: 100, reported: 200)  // a is now the most recent
        calibrator.record(model: "c", estimated: 100, reported: 50)
        #expect(calibrator.factor(for: "a") == 2)
        #expect(calibrator.factor(for: "b") == 1)  // forgotten
        #expect(calibrator.factor(for: "c") == 0.5)
    }

    @Test func calibratorIsSafeUnderConcurrency() async {
        let calibrator = UsageCalibrator(windowSize: 50)
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for index in 0..<200 {
                        calibrator.record(model: "m\(task % 2)", estimated: 100, reported: 100 + index % 3)
                        _ = calibrator.factor(for: "m0")
                    }
                }
            }
        }
        #expect(calibrator.observationCount(for: "m0") == 50)
        #expect(calibrator.observationCount(for: "m1") == 50)
        #expect((1.0...1.02).contains(calibrator.factor(for: "m0")))
    }
}
