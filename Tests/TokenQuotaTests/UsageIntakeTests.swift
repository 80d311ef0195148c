import Foundation
import Synchronization
import Testing
import TokenAccounting
@testable import TokenQuota

/// The domain's intake: the reservation's model is read only when no input names one.
@Suite("Usage intake")
struct UsageIntakeTests {
    static let intake = UsageIntake(catalog: .bundledDefault())
    static let openAIBody = Array(#"{"id":"c","object":"chat.completion","model":"gpt-4o-mini","usage":{"prompt_tokens":100,"completion_tokens":20,"total_tokens":120}}"#.utf8)
    static let openAIBodyWithoutModel = Array(#"{"id":"c","object":"chat.completion","usage":{"prompt_tokens":100,"completion_tokens":20,"total_tokens":120}}"#.utf8)

    static func input(_ counts: UsageInput.Counts, model: String? = nil, provider: Provider? = nil, metadata: [String: String] = [:]) -> UsageInput {
        UsageInput(tenant: "acme", user: "ann", eventID: "e1", provider: provider, model: model, counts: counts, metadata: metadata, occurredAt: Date(timeIntervalSince1970: 1_800_000_000))
    }

    /// Counts the lookups a settlement makes.
    final class Lookups: Sendable {
        let count = Mutex(0)
        let call: ReservedCall?
        init(_ call: ReservedCall?) { self.call = call }
        func read() -> ReservedCall? {
            count.withLock { $0 += 1 }
            return call
        }
    }

    @Test func aResponseNamingItsModelNeedsNoLookup() async throws {
        let lookups = Lookups(ReservedCall(model: "gpt-4o", provider: .openai))
        let event = try await Self.intake.event(Self.input(.response(Self.openAIBody))) { () async throws(QuotaError) -> ReservedCall? in lookups.read() }
        #expect(event.model == "gpt-4o-mini")
        #expect(lookups.count.withLock { $0 } == 0)
        #expect(event == (try Self.intake.event(Self.input(.response(Self.openAIBody)))))
    }

    @Test func aResponseWithoutAModelTakesTheReservationsAndIsPricedAsIt() async throws {
        let lookups = Lookups(ReservedCall(model: "gpt-4o", provider: .openai))
        let event = try await Self.intake.event(Self.input(.response(Self.openAIBodyWithoutModel))) { () async throws(QuotaError) -> ReservedCall? in lookups.read() }
        #expect(lookups.count.withLock { $0 } == 1)
        #expect(event.model == "gpt-4o" && event.priced)
        var named = Self.input(.response(Self.openAIBodyWithoutModel))
        named.defaultModel = "gpt-4o"
        named.provider = .openai
        #expect(event == (try Self.intake.event(named)), "the same event as when the reservation's model is given")
    }

    @Test func withoutAReservationTheModelStaysUnknown() async throws {
        let event = try await Self.intake.event(Self.input(.counts(TokenUsage(inputTokens: 5, outputTokens: 1)))) { () async throws(QuotaError) -> ReservedCall? in nil }
        #expect(event.model == UsageEvent.unknownModel && !event.priced)
    }

    @Test func aBadBodyIsRefusedBeforeAnyLookup() async throws {
        let lookups = Lookups(ReservedCall(model: "gpt-4o", provider: .openai))
        let tooMany = Dictionary(uniqueKeysWithValues: (0...UsageIntake.maximumMetadataEntries).map { ("k\($0)", "v") })
        await #expect(throws: QuotaError.self) {
            _ = try await Self.intake.event(Self.input(.counts(TokenUsage(inputTokens: 1)), metadata: tooMany)) { () async throws(QuotaError) -> ReservedCall? in lookups.read() }
        }
        await #expect(throws: QuotaError.self) {
            _ = try await Self.intake.event(Self.input(.response(Array("not json".utf8)))) { () async throws(QuotaError) -> ReservedCall? in lookups.read() }
        }
        #expect(lookups.count.withLock { $0 } == 0)
    }
}
