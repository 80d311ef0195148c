public import Foundation
import HTTPTypes
public import Logging
public import TokenAccounting
public import TokenQuota

/// Turns a ``UsageRequest`` into a priced ``UsageEvent`` and records it, honouring the metrics settings.
///
/// Shared by single usage, batch items and reservation commits.
public struct UsageRecorder: Sendable {
    let repository: any QuotaRepository
    let catalog: PriceCatalog
    let settings: MetricsSettingsStore
    let metrics: QuotaMetrics
    let estimator: TokenEstimator
    let unpricedModels: UnpricedModelPolicy

    /// The most metadata entries per event, and their key/value length limits.
    static let maximumMetadataEntries = 32
    static let maximumMetadataKeyLength = 64
    static let maximumMetadataValueLength = 1024

    /// Creates a recorder.
    public init(
        repository: any QuotaRepository, catalog: PriceCatalog, settings: MetricsSettingsStore, metrics: QuotaMetrics,
        estimator: TokenEstimator = TokenEstimator(), unpricedModels: UnpricedModelPolicy = .reject
    ) {
        self.repository = repository
        self.catalog = catalog
        self.settings = settings
        self.metrics = metrics
        self.estimator = estimator
        self.unpricedModels = unpricedModels
    }

    /// Validates, prices and records one event.
    ///
    /// - Parameters:
    ///   - request: the decoded body.
    ///   - tenant: the tenant from the path (already validated).
    ///   - user: the user to charge when the body names none (commits).
    ///   - eventID: the event id when the body names none (commits).
    ///   - reservationID: the reservation to settle (commits; wins over the body's).
    public func record(
        _ request: UsageRequest, tenant: String, user defaultUser: String? = nil, eventID defaultEventID: String? = nil,
        reservationID: String? = nil, logger: Logger
    ) async throws(APIError) -> UsageResponse {
        guard let user = request.user ?? defaultUser else { throw APIError.badRequest("missing field 'user'") }
        guard let eventID = request.eventID ?? defaultEventID else { throw APIError.badRequest("missing field 'event_id'") }
        let event = try makeEvent(request, tenant: tenant, user: user, eventID: eventID, reservationID: reservationID ?? request.reservationID)
        if !event.priced {
            try await checkUnpriced(model: event.model, tenant: tenant, user: user, eventID: eventID, logger: logger)
        }
        // The switches govern statistics only: with `enabled` or `token_statistics` off, the totals that
        // limits read still count (the per-model breakdown, detail classes and token metrics do not).
        let current = settings.current
        let statistics = current.enabled && current.tokenStatistics
        let result: RecordResult
        do {
            result = try await repository.record(event, options: RecordOptions(tokenStatistics: statistics))
        } catch {
            throw APIError(error)
        }
        metrics.usage(
            model: event.model, usage: event.usage, costNanoUSD: event.costNanoUSD,
            result: result.recorded ? "recorded" : "duplicate", tokenStatistics: statistics
        )
        for level in result.overLimit { metrics.overLimit(level: level.rawValue) }
        if !result.overLimit.isEmpty {
            logger.info(
                "usage recorded over a limit",
                metadata: ["quota.tenant": "\(tenant)", "quota.user": "\(user)", "quota.levels": "\(result.overLimit.map(\.rawValue))"]
            )
        }
        if !result.recorded {
            logger.debug("duplicate usage event", metadata: ["quota.tenant": "\(tenant)", "quota.event_id": "\(eventID)"])
        }
        return UsageResponse(
            recorded: result.recorded, reason: result.recorded ? nil : "duplicate", eventID: event.eventID, user: event.user,
            model: event.model, usage: event.usage, source: event.source,
            costNanoUSD: result.recorded ? event.costNanoUSD : result.firstCostNanoUSD, priced: event.priced, result: result
        )
    }

    /// Applies ``UnpricedModelPolicy`` through ``UnpricedModelGuard`` (the same rule the library's callback
    /// handlers apply): with `reject`, a model without a price is refused (`422 unpriced_model`) when a cost
    /// limit applies at any level the call counts at, since it would otherwise pass that limit at cost 0. A
    /// retried event that was already recorded passes (it is answered as a duplicate).
    public func checkUnpriced(model: String, tenant: String, user: String, eventID: String? = nil, logger: Logger) async throws(APIError) {
        do {
            let decision = try await UnpricedModelGuard(repository: repository, policy: unpricedModels)
                .check(model: model, tenant: tenant, user: user, eventID: eventID)
            if decision == .alreadyRecorded { return }
            metrics.unpriced(result: "allowed")
            if decision == .allowedByPolicy {
                logger.info("usage for a model without a price recorded at cost 0", metadata: ["llm.model": "\(model)"])
            }
        } catch where error.code == .unpricedModel {
            metrics.unpriced(result: "rejected")
            logger.info("usage for a model without a price refused: a cost limit applies", metadata: ["llm.model": "\(model)"])
            throw APIError(error)
        } catch {
            throw APIError(error)
        }
    }

    /// Builds and validates the event (no I/O): exactly one of `response`/`usage`, known provider,
    /// bounded metadata, valid ids and counts.
    public func makeEvent(
        _ request: UsageRequest, tenant: String, user: String, eventID: String, reservationID: String?, now: Date = Date()
    ) throws(APIError) -> UsageEvent {
        var provider: Provider?
        if let name = request.provider {
            let candidate = Provider(rawValue: name)
            guard Provider.known.contains(candidate) else {
                let known = Provider.known.map(\.rawValue).joined(separator: ", ")
                throw APIError.badRequest("unknown provider '\(name.prefix(40))': expected one of \(known)")
            }
            provider = candidate
        }
        if let model = request.model {
            do { try Identifier.validateModel(model) } catch { throw APIError(error) }
        }
        let usage: TokenUsage
        let source: UsageSource
        var model = request.model
        switch (request.response, request.usage) {
        case (.some, nil) where request.usageIsEstimate:
            throw APIError.badRequest("give either 'response' or \"usage\": \"estimate\", not both")
        case (.some(let response), nil):
            let record: UsageRecord
            do {
                switch response {
                case .string(let text): record = try UsageParser.parse(text, provider: provider, model: request.model)
                default: record = try UsageParser.parse(response.serialized, provider: provider, model: request.model)
                }
            } catch {
                throw APIError(error)
            }
            usage = record.usage
            source = record.source
            model = model ?? record.model
            provider = record.provider
        case (nil, .some(let counts)):
            do { try counts.validate() } catch { throw APIError.badRequest(error.message) }
            usage = counts
            source = .reported
        case (.some, .some):
            throw APIError.badRequest("give either 'response' or 'usage', not both")
        case (nil, nil) where request.usageIsEstimate:
            usage = try estimate(request, provider: provider)
            source = .estimated
        case (nil, nil):
            throw APIError.badRequest("missing usage: give the provider's 'response' or canonical 'usage' counts")
        }
        if !request.usageIsEstimate, request.messages != nil || request.outputText != nil {
            throw APIError.badRequest("'messages' and 'output_text' are only used with \"usage\": \"estimate\"")
        }
        if let latency = request.latencyMilliseconds, latency < 0 || latency > 86_400_000 {
            throw APIError.badRequest("latency_ms must be 0…86400000 (got \(latency))")
        }
        let metadata = request.metadata ?? [:]
        guard metadata.count <= Self.maximumMetadataEntries else {
            throw APIError.badRequest("metadata may have at most \(Self.maximumMetadataEntries) entries")
        }
        for (key, value) in metadata {
            guard (1...Self.maximumMetadataKeyLength).contains(key.utf8.count), value.utf8.count <= Self.maximumMetadataValueLength else {
                throw APIError.badRequest(
                    "metadata keys must be 1…\(Self.maximumMetadataKeyLength) bytes and values at most \(Self.maximumMetadataValueLength) bytes"
                )
            }
        }
        let modelName = (model?.isEmpty ?? true) ? "unknown" : (model ?? "unknown")
        let cost = modelName == "unknown" ? CostResult.unpriced : catalog.cost(model: modelName, provider: provider, usage: usage)
        let event = UsageEvent(
            tenant: tenant, user: user, eventID: eventID, provider: provider, model: modelName, usage: usage, source: source,
            costNanoUSD: cost.nanoUSD, priced: cost.priced, isError: request.error ?? false, reservationID: reservationID,
            latencyMilliseconds: request.latencyMilliseconds, metadata: metadata, occurredAt: now
        )
        do { try event.validate() } catch { throw APIError(error) }
        return event
    }

    /// Estimates the usage of a call whose provider reported none, from its messages and output text.
    func estimate(_ request: UsageRequest, provider: Provider?) throws(APIError) -> TokenUsage {
        let messages = request.messages ?? []
        guard !messages.isEmpty || request.outputText != nil else {
            throw APIError.badRequest("\"usage\": \"estimate\" needs 'messages' and/or 'output_text'")
        }
        let family = ReservationPlanner.tokenizerFamily(
            provider: provider, match: request.model.flatMap { catalog.match(model: $0, provider: provider) })
        let input: Int
        do {
            input = messages.isEmpty ? 0 : try ReservationPlanner(catalog: catalog, estimator: estimator).estimateInputTokens(messages, family: family)
        } catch {
            throw APIError(error)
        }
        let output = request.outputText.map { estimator.estimateTokens(text: $0, provider: family) } ?? 0
        return TokenUsage(inputTokens: input, outputTokens: output)
    }
}
