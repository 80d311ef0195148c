import Testing
import TokenAccounting

/// A tiny deterministic generator (SplitMix64), so every run fuzzes the same inputs.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Mutation fuzzing of every fixture body. The parser must never trap; every failure must carry a known code and a
/// message; every success must hold canonical counts that pass `TokenUsage.validate()`.
@Suite struct UsageFuzzTests {
    static let knownCodes: Set<UsageParseError.Code> = [
        .invalidJSON, .invalidEncoding, .bodyTooLarge, .noUsage, .invalidCount, .unknownProvider, .inconsistentCounts,
    ]

    /// The count fields some parser reads: a bad value there must be rejected in a non-streaming body.
    static let readCountKeys: Set<String> = [
        "prompt_tokens", "completion_tokens", "cached_tokens", "reasoning_tokens", "input_tokens", "output_tokens",
        "cache_read_input_tokens", "cache_creation_input_tokens", "ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens",
        "inputTokens", "outputTokens", "cacheReadInputTokens", "cacheWriteInputTokens",
        "promptTokenCount", "candidatesTokenCount", "thoughtsTokenCount", "cachedContentTokenCount", "toolUsePromptTokenCount",
    ]

    static let badCounts = [
        "\"12\"", "true", "false", "1.5", "-1", "-0.5", "[]", "{}", "[1]", "1e30", "1e400", "-1e400",
        "10000000001", "99999999999999999999", "9223372036854775807", "-9223372036854775808",
    ]

    /// Feeds one input with and without the provider; returns how many parses ran.
    @discardableResult
    static func check(_ body: [UInt8], provider: Provider, sourceLocation: SourceLocation = #_sourceLocation) -> (cases: Int, outcomes: [Result<UsageRecord, UsageParseError>]) {
        var outcomes: [Result<UsageRecord, UsageParseError>] = []
        for candidate in [provider, nil] {
            do throws(UsageParseError) {
                let record = try UsageParser.parse(body, provider: candidate)
                #expect(throws: Never.self, sourceLocation: sourceLocation) { try record.usage.validate() }
                outcomes.append(.success(record))
            } catch {
                #expect(knownCodes.contains(error.code), "\(error)", sourceLocation: sourceLocation)
                #expect(!error.message.isEmpty, sourceLocation: sourceLocation)
                outcomes.append(.failure(error))
            }
        }
        return (outcomes.count, outcomes)
    }

    /// The inputs derived from one fixture: its JSON body, and for streams its SSE text and JSON array.
    static func variants(of fixture: ProviderFixture) -> [[UInt8]] {
        var result = [fixture.body]
        if let sse = fixture.sseText() { result.append(Array(sse.utf8)) }
        if let sse = fixture.sseText(lineEnding: "\r\n") { result.append(Array(sse.utf8)) }
        if let array = fixture.jsonArrayOfEvents() { result.append(Array(array.utf8)) }
        return result
    }

    /// The byte ranges of number tokens (outside strings) in a JSON-ish text, each with the key before it.
    static func numberTokens(in bytes: [UInt8]) -> [(range: Range<Int>, key: String?)] {
        var tokens: [(Range<Int>, String?)] = []
        var index = 0
        var inString = false
        var stringStart = 0
        var lastString: String?
        var keyForValue: String?
        while index < bytes.count {
            let byte = bytes[index]
            if inString {
                if byte == UInt8(ascii: "\\") {
                    index += 2
                    continue
                }
                if byte == UInt8(ascii: "\"") {
                    inString = false
                    lastString = String(decoding: bytes[stringStart..<index], as: UTF8.self)
                }
                index += 1
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
                stringStart = index + 1
                index += 1
            case UInt8(ascii: ":"):
                keyForValue = lastString
                index += 1
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let start = index
                while index < bytes.count, "+-.eE0123456789".utf8.contains(bytes[index]) { index += 1 }
                tokens.append((start..<index, keyForValue))
                keyForValue = nil
            case UInt8(ascii: ","), UInt8(ascii: "{"), UInt8(ascii: "["):
                keyForValue = nil
                index += 1
            default:
                index += 1
            }
        }
        return tokens
    }

    // MARK: Tests

    @Test func truncationAtManyPoints() throws {
        var cases = 0
        for fixture in try ProviderFixtures.load() {
            for body in Self.variants(of: fixture) {
                let step = max(1, body.count / 80)
                for length in stride(from: 0, to: body.count, by: step) {
                    cases += Self.check(Array(body[..<length]), provider: fixture.provider).cases
                }
                // A JSON body cut anywhere is never a usage record.
                if body.first == UInt8(ascii: "{") {
                    for length in stride(from: 0, to: body.count - 1, by: max(1, body.count / 10)) {
                        let outcome = Self.check(Array(body[..<length]), provider: fixture.provider)
                        #expect(outcome.outcomes.allSatisfy { if case .failure = $0 { true } else { false } }, "\(fixture.id) cut at \(length)")
                    }
                }
            }
        }
        #expect(cases > 1000)
    }

    @Test func wrongTypesAndAbsurdNumbersInPlaceOfCounts() throws {
        var rng = SplitMix64(seed: 0x5EED_0001)
        var cases = 0
        for fixture in try ProviderFixtures.load() {
            for (variant, body) in Self.variants(of: fixture).enumerated() {
                let tokens = Self.numberTokens(in: body)
                #expect(!tokens.isEmpty, "\(fixture.id)")
                for token in tokens {
                    let isReadCount = token.key.map(Self.readCountKeys.contains) ?? false
                    // Every read count gets every bad value; other numbers get a few random ones.
                    let replacements = isReadCount ? Self.badCounts : (0..<2).map { _ in Self.badCounts.randomElement(using: &rng) ?? "true" }
                    for replacement in replacements {
                        var mutated = body
                        mutated.replaceSubrange(token.range, with: Array(replacement.utf8))
                        let outcome = Self.check(mutated, provider: fixture.provider)
                        cases += outcome.cases
                        // In a non-streaming body every read count is final: the bad value must be rejected.
                        if isReadCount, variant == 0, fixture.streamEvents == nil {
                            for case .success(let record) in outcome.outcomes {
                                Issue.record("\(fixture.id): \(token.key ?? "?") = \(replacement) accepted as \(record.usage)")
                            }
                            for case .failure(let error) in outcome.outcomes where error.code != .invalidCount {
                                Issue.record("\(fixture.id): \(token.key ?? "?") = \(replacement) gave \(error), expected invalid_count")
                            }
                        }
                    }
                }
            }
        }
        #expect(cases > 1000)
    }

    @Test func invalidUTF8AnywhereIsInvalidEncoding() throws {
        var rng = SplitMix64(seed: 0x5EED_0002)
        let sequences: [[UInt8]] = [[0xFF], [0xFE], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0x80], [0xF5, 0x80, 0x80, 0x80], [0xE2, 0x82]]
        var cases = 0
        for fixture in try ProviderFixtures.load() {
            for body in Self.variants(of: fixture) {
                for _ in 0..<20 {
                    var mutated = body
                    let position = Int.random(in: 0...mutated.count, using: &rng)
                    mutated.insert(contentsOf: sequences.randomElement(using: &rng) ?? [0xFF], at: position)
                    let outcome = Self.check(mutated, provider: fixture.provider)
                    cases += outcome.cases
                    for result in outcome.outcomes {
                        guard case .failure(let error) = result, error.code == .invalidEncoding else {
                            Issue.record("\(fixture.id): invalid UTF-8 at \(position) gave \(result)")
                            continue
                        }
                    }
                }
            }
        }
        #expect(cases > 300)
    }

    @Test func randomByteFlipsAndSplices() throws {
        var rng = SplitMix64(seed: 0x5EED_0003)
        let interesting = Array("{}[]\",:-0123456789eE.tfn \\\r\n".utf8)
        var cases = 0
        for fixture in try ProviderFixtures.load() {
            for body in Self.variants(of: fixture) where !body.isEmpty {
                for _ in 0..<60 {
                    var mutated = body
                    for _ in 0..<Int.random(in: 1...4, using: &rng) {
                        let position = Int.random(in: 0..<mutated.count, using: &rng)
                        mutated[position] =
                            Bool.random(using: &rng)
                            ? (interesting.randomElement(using: &rng) ?? 0)
                            : UInt8.random(in: 0...255, using: &rng)
                    }
                    cases += Self.check(mutated, provider: fixture.provider).cases
                }
                for _ in 0..<15 {
                    // Duplicate or delete a random range.
                    var mutated = body
                    let start = Int.random(in: 0..<mutated.count, using: &rng)
                    let end = Int.random(in: start...min(mutated.count, start + 64), using: &rng)
                    if Bool.random(using: &rng) {
                        mutated.insert(contentsOf: body[start..<end], at: end)
                    } else {
                        mutated.removeSubrange(start..<end)
                    }
                    cases += Self.check(mutated, provider: fixture.provider).cases
                }
            }
        }
        #expect(cases > 1000)
    }

    @Test func deepNestingIsRejectedWithoutExhaustingTheStack() throws {
        let fixtures = try ProviderFixtures.load()
        let bombs: [[UInt8]] = [
            Array(String(repeating: "[", count: 100_000).utf8),
            Array(String(repeating: "{\"a\":", count: 100_000).utf8),
            Array((String(repeating: "[", count: 50_000) + String(repeating: "]", count: 50_000)).utf8),
            Array(("data: " + String(repeating: "[", count: 100_000) + "\n\n").utf8),
            Array(("[" + String(repeating: "{\"data\":", count: 30_000)).utf8),
            Array((#"{"usage":{"prompt_tokens":1},"x":"# + String(repeating: "[", count: 100_000) + "}").utf8),
        ]
        for bomb in bombs {
            for fixture in fixtures.prefix(3) {
                for result in Self.check(bomb, provider: fixture.provider).outcomes {
                    guard case .failure(let error) = result, error.code == .invalidJSON else {
                        Issue.record("nesting bomb gave \(result)")
                        continue
                    }
                }
            }
        }
        // Nesting inside a real body, in a field the parser does not read.
        for fixture in fixtures where fixture.body.first == UInt8(ascii: "{") {
            var mutated = Array(#"{"deep":"#.utf8) + Array(repeating: UInt8(ascii: "["), count: 10_000)
            mutated += Array(repeating: UInt8(ascii: "]"), count: 10_000) + Array(",".utf8) + fixture.body.dropFirst()
            for result in Self.check(mutated, provider: fixture.provider).outcomes {
                guard case .failure(let error) = result, error.code == .invalidJSON else {
                    Issue.record("\(fixture.id): nested body gave \(result)")
                    continue
                }
            }
        }
    }

    @Test func fuzzingIsDeterministic() {
        var first = SplitMix64(seed: 42)
        var second = SplitMix64(seed: 42)
        #expect((0..<8).map { _ in first.next() } == (0..<8).map { _ in second.next() })
    }
}
