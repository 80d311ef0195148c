public import Foundation
public import TokenAccounting

/// One LLM call's usage as it arrives, before it is validated, parsed and priced by ``UsageIntake``.
public struct UsageInput: Sendable, Hashable {
    /// Where the call's counts come from.
    public enum Counts: Sendable, Hashable {
        /// The provider's raw response (JSON or SSE text), read by ``UsageParser``.
        case response([UInt8])
        /// Canonical counts the caller read itself.
        case counts(TokenUsage)
        /// Estimated locally from the call's messages and output text (recorded as estimated).
        case estimate(messages: [ChatMessage], outputText: String?)
        /// Counts estimated by the caller (recorded as estimated).
        case estimated(TokenUsage)
    }

    /// The tenant.
    public var tenant: String
    /// The user charged.
    public var user: String
    /// The event id (counted once however often it is retried).
    public var eventID: String
    /// The provider, when the caller knows it (else detected from the response or the catalogue).
    public var provider: Provider?
    /// The model as the caller named it: wins over the response's.
    public var model: String?
    /// The model when neither ``model`` nor the response names one (else `unknown`): the library's callback
    /// handlers give the requested model here, so a response's dated snapshot is what is recorded.
    public var defaultModel: String?
    /// The counts.
    public var counts: Counts
    /// The reservation this call settles.
    public var reservationID: String?
    /// The call's latency in milliseconds (0…86,400,000).
    public var latencyMilliseconds: Int?
    /// The caller's metadata (at most ``UsageIntake/maximumMetadataEntries`` entries).
    public var metadata: [String: String]
    /// Whether the call failed.
    public var isError: Bool
    /// When the call happened.
    public var occurredAt: Date

    /// Creates an input.
    public init(
        tenant: String, user: String, eventID: String, provider: Provider? = nil, model: String? = nil,
        defaultModel: String? = nil, counts: Counts,
        reservationID: String? = nil, latencyMilliseconds: Int? = nil, metadata: [String: String] = [:], isError: Bool = false,
        occurredAt: Date = Date()
    ) {
        self.tenant = tenant
        self.user = user
        self.eventID = eventID
        self.provider = provider
        self.model = model
        self.defaultModel = defaultModel
        self.counts = counts
        self.reservationID = reservationID
        self.latencyMilliseconds = latencyMilliseconds
        self.metadata = metadata
        self.isError = isError
        self.occurredAt = occurredAt
    }
}

/// Turns a ``UsageInput`` into a validated, priced ``UsageEvent`` the same way for every path into quotad
/// (the HTTP API's usage, batch and commit bodies, the library's callback handlers). Pure: no I/O; the
/// unpriced-model rule that needs the stored quotas is ``UnpricedModelGuard``.
public struct UsageIntake: Sendable {
    /// Model prices.
    public let catalog: PriceCatalog
    /// The local token estimator.
    public let estimator: TokenEstimator

    /// The most metadata entries per event, and their key/value length limits.
    public static let maximumMetadataEntries = 32
    public static let maximumMetadataKeyLength = 64
    public static let maximumMetadataValueLength = 1024

    /// Creates an intake.
    public init(catalog: PriceCatalog, estimator: TokenEstimator = TokenEstimator()) {
        self.catalog = catalog
        self.estimator = estimator
    }

    /// The event for `input`.
    ///
    /// - Throws: ``QuotaError`` — `invalidArgument` naming the field (model, counts, latency, metadata, ids),
    ///   `unparsableUsage` for a response without readable usage (its parser code as ``QuotaError/subject``),
    ///   `tooLarge` for a response above the parser's size limit.
    public func event(_ input: UsageInput) throws(QuotaError) -> UsageEvent {
        try event(input, parsed: nil)
    }

    /// The event for `input`, with the model and provider of the reservation it settles when no input names a
    /// model: `reservedCall` (a Redis read) runs only then, and a provider response is parsed once either way.
    ///
    /// - Throws: what ``event(_:)`` throws, and what `reservedCall` throws.
    public func event(
        _ input: UsageInput, reservedCall: () async throws(QuotaError) -> ReservedCall?
    ) async throws(QuotaError) -> UsageEvent {
        guard input.model == nil, input.defaultModel == nil else { return try event(input) }
        var parsed: ParsedResponse?
        if case .response(let body) = input.counts {
            parsed = ParsedResponse(record: try parse(body, provider: input.provider, model: nil), provider: input.provider)
        }
        // Everything is checked before the lookup, so a bad body is refused as such even while Redis is down.
        let unattributed = try event(input, parsed: parsed)
        guard unattributed.model == UsageEvent.unknownModel, let call = try await reservedCall() else { return unattributed }
        var attributed = input
        attributed.defaultModel = call.model
        attributed.provider = input.provider ?? call.provider
        return try event(attributed, parsed: parsed)
    }

    /// The provider parser's reading of a response body, its errors as ``QuotaError``.
    func parse(_ body: [UInt8], provider: Provider?, model: String?) throws(QuotaError) -> UsageRecord {
        do { return try UsageParser.parse(body, provider: provider, model: model) } catch { throw Self.error(error) }
    }

    /// A response body as ``parse(_:provider:model:)`` read it with no model and the provider `provider`.
    struct ParsedResponse {
        var record: UsageRecord
        var provider: Provider?
    }

    /// ``event(_:)``, reusing `parsed` when it was read as this input's body would be (the same provider
    /// hint, no model hint) instead of parsing the body again.
    func event(_ input: UsageInput, parsed: ParsedResponse?) throws(QuotaError) -> UsageEvent {
        if let name = input.model { try Identifier.validateModel(name) }
        if let name = input.defaultModel { try Identifier.validateModel(name) }
        // `openai/gpt-4o-mini` (LiteLLM's spelling) is the model `gpt-4o-mini` of the provider openai: one
        // report row per model however the callers spelled it.
        var provider = input.provider
        var model = input.model
        var defaultModel = input.defaultModel
        if let name = model, let split = ProviderPrefix.split(name) {
            model = split.model
            provider = provider ?? split.provider
        }
        if let name = defaultModel, let split = ProviderPrefix.split(name) {
            defaultModel = split.model
            provider = provider ?? split.provider
        }
        let usage: TokenUsage
        let source: UsageSource
        switch input.counts {
        case .response(let body):
            let record: UsageRecord
            if let parsed, model == nil, parsed.provider == provider { record = parsed.record } else {
                record = try parse(body, provider: provider, model: model)
            }
            usage = record.usage
            source = record.source
            model = model ?? record.model.map { ProviderPrefix.split($0)?.model ?? $0 }
            provider = record.provider
        case .counts(let counts), .estimated(let counts):
            do { try counts.validate() } catch { throw QuotaError(.invalidArgument, error.message) }
            usage = counts
            if case .estimated = input.counts { source = .estimated } else { source = .reported }
        case .estimate(let messages, let outputText):
            usage = try estimate(messages: messages, outputText: outputText, provider: provider, model: model ?? defaultModel)
            source = .estimated
        }
        if let latency = input.latencyMilliseconds, !(0...86_400_000).contains(latency) {
            throw QuotaError(.invalidArgument, "latency_ms must be 0…86400000 (got \(latency))")
        }
        try Self.validate(metadata: input.metadata)
        if model?.isEmpty ?? true { model = defaultModel }
        let modelName = (model?.isEmpty ?? true) ? UsageEvent.unknownModel : (model ?? UsageEvent.unknownModel)
        let cost = modelName == UsageEvent.unknownModel ? CostResult.unpriced : catalog.cost(model: modelName, provider: provider, usage: usage)
        var event = UsageEvent(
            tenant: input.tenant, user: input.user, eventID: input.eventID, provider: provider, model: modelName, usage: usage,
            source: source, costNanoUSD: cost.nanoUSD, priced: cost.priced, isError: input.isError, reservationID: input.reservationID,
            latencyMilliseconds: input.latencyMilliseconds, metadata: input.metadata, occurredAt: input.occurredAt
        )
        event.pricedAs = cost.matchedModel
        try event.validate()
        return event
    }

    /// The estimated usage of a call whose provider reported none.
    func estimate(messages: [ChatMessage], outputText: String?, provider: Provider?, model: String?) throws(QuotaError) -> TokenUsage {
        guard !messages.isEmpty || outputText != nil else {
            throw QuotaError(.invalidArgument, "\"usage\": \"estimate\" needs 'messages' and/or 'output_text'")
        }
        let family = ReservationPlanner.tokenizerFamily(provider: provider, match: model.flatMap { catalog.match(model: $0, provider: provider) })
        let input = messages.isEmpty ? 0 : try ReservationPlanner(catalog: catalog, estimator: estimator).estimateInputTokens(messages, family: family)
        let output = outputText.map { estimator.estimateTokens(text: $0, provider: family) } ?? 0
        return TokenUsage(inputTokens: input, outputTokens: output)
    }

    static func validate(metadata: [String: String]) throws(QuotaError) {
        guard metadata.count <= maximumMetadataEntries else {
            throw QuotaError(.invalidArgument, "metadata may have at most \(maximumMetadataEntries) entries")
        }
        for (key, value) in metadata {
            guard (1...maximumMetadataKeyLength).contains(key.utf8.count), value.utf8.count <= maximumMetadataValueLength else {
                throw QuotaError(
                    .invalidArgument,
                    "metadata keys must be 1…\(maximumMetadataKeyLength) bytes and values at most \(maximumMetadataValueLength) bytes"
                )
            }
        }
    }

    /// A parser error as a domain error: too large, or unparsable with the parser's code as the subject.
    static func error(_ error: UsageParseError) -> QuotaError {
        var mapped = QuotaError(error.code == .bodyTooLarge ? .tooLarge : .unparsableUsage, error.message)
        mapped.subject = error.code.rawValue
        return mapped
    }
}
