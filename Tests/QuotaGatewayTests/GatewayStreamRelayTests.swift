import Foundation
@testable import QuotaGateway
import Testing
import TokenAccounting

/// The stream relay over the recorded provider streams of `shared/fixtures/provider_payloads.json`.
@Suite("Gateway stream relay")
struct GatewayStreamRelayTests {
    /// A recorded stream as the provider sends it, and its correct counts.
    struct RecordedStream {
        var text: String
        var expected: (input: Int, output: Int)
    }

    static func recorded(_ id: String, lineEnding: String = "\n") throws -> RecordedStream {
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        var file: URL?
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("shared/fixtures/provider_payloads.json")
            if FileManager.default.fileExists(atPath: candidate.path) { file = candidate; break }
            directory = directory.deletingLastPathComponent()
        }
        let data = try Data(contentsOf: try #require(file, "shared/fixtures/provider_payloads.json not found above \(#filePath)"))
        let entries = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        let entry = try #require(entries.first { $0["id"] as? String == id })
        let body = try #require(entry["body"] as? [String: Any])
        let expected = try #require(entry["expected"] as? [String: Any])
        var text = ""
        func serialized(_ object: Any) throws -> String {
            String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        }
        if let events = body["sse_events"] as? [[String: Any]] {
            for event in events {
                text += "event: \(event["event"] as? String ?? "")\(lineEnding)data: \(try serialized(event["data"] as Any))\(lineEnding)\(lineEnding)"
            }
        } else {
            for event in try #require(body["sse_data_events"] as? [[String: Any]]) {
                text += "data: \(try serialized(event))\(lineEnding)\(lineEnding)"
            }
            text += "data: [DONE]\(lineEnding)\(lineEnding)"
        }
        return RecordedStream(
            text: text, expected: (try #require(expected["input_tokens"] as? Int), try #require(expected["output_tokens"] as? Int)))
    }

    /// Feeds `text` in chunks of `size` bytes; returns what the caller got and the relay.
    static func relay(_ text: String, size: Int, drop: Bool, provider: Provider) -> (sent: [UInt8], relay: GatewayStreamRelay) {
        var relay = GatewayStreamRelay(dropsUsageChunk: drop, provider: provider, estimator: TokenEstimator())
        let bytes = Array(text.utf8)
        var sent: [UInt8] = []
        var offset = 0
        while offset < bytes.count {
            sent += relay.feed(bytes[offset..<min(offset + size, bytes.count)])
            offset += size
        }
        sent += relay.finish()
        return (sent, relay)
    }

    static func parsed(_ relay: GatewayStreamRelay, provider: Provider) throws -> TokenUsage {
        try UsageParser.parse(try #require(relay.usageEvents), provider: provider).usage
    }

    @Test(arguments: [1, 7, 64, 100_000])
    func anAnthropicStreamPassesByteForByteAndItsUsageIsKept(size: Int) throws {
        let stream = try Self.recorded("anthropic_messages_stream_basic")
        let (sent, relay) = Self.relay(stream.text, size: size, drop: false, provider: .anthropic)
        #expect(sent == Array(stream.text.utf8))
        #expect(relay.sawEnd)
        let usage = try Self.parsed(relay, provider: .anthropic)
        #expect(usage.inputTokens == stream.expected.input)
        #expect(usage.outputTokens == stream.expected.output)
        #expect(relay.outputTokensEstimate > 0)
    }

    @Test(arguments: [1, 13, 100_000])
    func anOpenAIStreamLosesOnlyTheUsageChunkTheGatewayAskedFor(size: Int) throws {
        let stream = try Self.recorded("openai_chat_stream_include_usage")
        let events = stream.text.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        let usageChunk = try #require(events.first { $0.contains(#""choices":[]"#) })
        let withoutUsage = events.filter { $0 != usageChunk }.map { $0 + "\n\n" }.joined()
        let dropped = Self.relay(stream.text, size: size, drop: true, provider: .openai)
        #expect(String(decoding: dropped.sent, as: UTF8.self) == withoutUsage)
        let usage = try Self.parsed(dropped.relay, provider: .openai)
        #expect(usage.inputTokens == stream.expected.input)
        #expect(usage.outputTokens == stream.expected.output)
        // A caller that asked for usage gets every byte.
        let kept = Self.relay(stream.text, size: size, drop: false, provider: .openai)
        #expect(kept.sent == Array(stream.text.utf8))
    }

    @Test func crlfEventsAreRelayedToo() throws {
        let stream = try Self.recorded("anthropic_messages_stream_basic", lineEnding: "\r\n")
        let (sent, relay) = Self.relay(stream.text, size: 5, drop: false, provider: .anthropic)
        #expect(sent == Array(stream.text.utf8))
        #expect(try Self.parsed(relay, provider: .anthropic).outputTokens == stream.expected.output)
    }

    @Test func aStreamCutBeforeItsUsageHasNoneAndAnEventLargerThanTheBoundPassesUnread() {
        let cut = Self.relay("data: {\"choices\":[{\"delta\":{\"content\":\"hello there\"}}]}\n\ndata: {\"choi", size: 4, drop: true, provider: .openai)
        #expect(cut.relay.usageEvents == nil)
        #expect(!cut.relay.sawEnd)
        #expect(cut.relay.outputTokensEstimate > 0)
        #expect(String(decoding: cut.sent, as: UTF8.self).hasSuffix("data: {\"choi"))
        let huge = "data: " + String(repeating: "x", count: GatewayStreamRelay.maximumEventBytes + 10)
        let passed = Self.relay(huge, size: 65_536, drop: true, provider: .openai)
        #expect(passed.sent == Array(huge.utf8))
    }
}
