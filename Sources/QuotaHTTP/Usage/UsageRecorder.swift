public import QuotaStores
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
        guard let eventID = request.eventID ?? defaultEventID else {
            throw APIError.badRequest(
                "missing field 'event_id' (or an Idempotency-Key header): every event needs a client-chosen id, so that a retried request counts once instead of twice")
        }
        let settles = reservationID ?? request.reservationID
        // A commit whose body and response name no model records the reservation's: the intake reads it (one
        // lookup) only then, and parses the response once either way.
        let input = try makeInput(request, tenant: tenant, user: user, eventID: eventID, reservationID: settles)
        let repository = self.repository
        let event: UsageEvent
        do {
            event = try await UsageIntake(catalog: catalog, estimator: estimator).event(input) { () async throws(QuotaError) -> ReservedCall? in
                guard let settles else { return nil }
                return try await repository.reservationCall(tenant: tenant, reservationID: settles)
            }
        } catch {
            throw APIError(error)
        }
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
            costNanoUSD: result.recorded ? event.costNanoUSD : result.firstCostNanoUSD, priced: event.priced, pricedAs: event.pricedAs,
            result: result
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

    /// Builds and validates the event (no I/O): the body's shape here (exactly one of `response`/`usage`,
    /// `messages` and `output_text` only with an estimate, a known provider name), everything else in the
    /// domain's ``UsageIntake``, which the library's callback handlers use too.
    public func makeEvent(
        _ request: UsageRequest, tenant: String, user: String, eventID: String, reservationID: String?, reserved: ReservedCall? = nil,
        now: Date = Date()
    ) throws(APIError) -> UsageEvent {
        let input = try makeInput(request, tenant: tenant, user: user, eventID: eventID, reservationID: reservationID, reserved: reserved, now: now)
        do {
            return try UsageIntake(catalog: catalog, estimator: estimator).event(input)
        } catch {
            throw APIError(error)
        }
    }

    /// The domain's input for a body: its shape checked here (see ``makeEvent(_:tenant:user:eventID:reservationID:reserved:now:)``).
    func makeInput(
        _ request: UsageRequest, tenant: String, user: String, eventID: String, reservationID: String?, reserved: ReservedCall? = nil,
        now: Date = Date()
    ) throws(APIError) -> UsageInput {
        var provider: Provider?
        if let name = request.provider {
            let candidate = Provider(rawValue: name)
            guard Provider.known.contains(candidate) else {
                let known = Provider.known.map(\.rawValue).joined(separator: ", ")
                throw APIError.badRequest("unknown provider '\(name.prefix(40))': expected one of \(known)")
            }
            provider = candidate
        }
        provider = provider ?? reserved?.provider
        let counts: UsageInput.Counts
        switch (request.response, request.usage) {
        case (.some, nil) where request.usageIsEstimate:
            throw APIError.badRequest("give either 'response' or \"usage\": \"estimate\", not both")
        case (.some(let response), nil):
            counts = .response(response.bytes)
        case (nil, .some(let given)) where request.usageIsEstimate:
            // Counts a caller estimated itself (the gateway's, for a stream cut before its usage arrived).
            counts = .estimated(given)
        case (nil, .some(let given)):
            counts = .counts(given)
        case (.some, .some):
            throw APIError.badRequest("give either 'response' or 'usage', not both")
        case (nil, nil) where request.usageIsEstimate:
            counts = .estimate(messages: request.messages ?? [], outputText: request.outputText)
        case (nil, nil):
            throw APIError.badRequest("missing usage: give the provider's 'response' or canonical 'usage' counts")
        }
        if !request.usageIsEstimate, request.messages != nil || request.outputText != nil {
            throw APIError.badRequest("'messages' and 'output_text' are only used with \"usage\": \"estimate\"")
        }
        return UsageInput(
            tenant: tenant, user: user, eventID: eventID, provider: provider, model: request.model, defaultModel: reserved?.model,
            counts: counts,
            reservationID: reservationID, latencyMilliseconds: request.latencyMilliseconds, metadata: request.metadata ?? [:],
            isError: request.error ?? false, occurredAt: now
        )
    }
}
