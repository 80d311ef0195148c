import Foundation
public import Logging
public import TokenAccounting

/// Counts every LLM call in the quota repository, and holds quota while calls run.
///
/// The holds and refusals are the HTTP API's: both go through ``ReservationPlanner`` and
/// ``UnpricedModelGuard``, so the same call gets the same hold and the same refusal on every path.
///
/// - `onLLMStart`: reserves the input (as given, else the messages' estimate, calibrated) plus the output
///   limit (else the model's most output, else `defaultOutputTokens`), priced pessimistically, at every level
///   the user counts at; throws ``QuotaExceededError`` when a limit would be exceeded, and ``QuotaError`` with
///   code ``QuotaError/Code/unpricedModel`` for a model without a price under a cost limit. The reservation id
///   derives from the call id, so a retried start holds quota once.
/// - `onLLMEnd`: reads usage from the response (or the given counts, or an estimate marked as estimated),
///   validates and prices it with ``UsageIntake`` (as the HTTP API does), and records it with the call id as event id, settling the reservation in the same step.
///   A response without readable usage (e.g. an OpenAI stream without `include_usage`) is recorded with
///   the start estimate (input estimate + max output tokens), marked estimated, and logged; it never
///   throws for that, so the call is not counted as a failure.
/// - `onLLMError`: releases the reservation and counts an error (with any partial usage).
///
/// The same call id is counted once, however often `onLLMEnd`/`onLLMError` are retried.
public struct RedisUsageCallbackHandler: LLMCallbackHandler {
    let repository: any QuotaRepository
    let pricing: PriceCatalog
    let estimator: TokenEstimator
    let calibrator: UsageCalibrator
    let reservationTTLSeconds: Int
    let planner: ReservationPlanner
    let intake: UsageIntake
    let unpricedModels: UnpricedModelGuard
    let logger: Logger

    /// Creates a handler.
    ///
    /// - Parameters:
    ///   - defaultOutputTokens: the output held when a call names no limit and the price list has no maximum
    ///     for its model (the HTTP service's `reservations.default_output_tokens`).
    ///   - unpricedModels: what to do with calls for models without a price (the service's
    ///     `pricing.unpriced_models`).
    public init(
        repository: any QuotaRepository,
        pricing: PriceCatalog = .bundledDefault(),
        estimator: TokenEstimator = TokenEstimator(),
        calibrator: UsageCalibrator = UsageCalibrator(),
        reservationTTLSeconds: Int = 600,
        defaultOutputTokens: Int = 16_384,
        unpricedModels: UnpricedModelPolicy = .reject,
        logger: Logger
    ) {
        self.repository = repository
        self.pricing = pricing
        self.estimator = estimator
        self.calibrator = calibrator
        self.reservationTTLSeconds = reservationTTLSeconds
        self.planner = ReservationPlanner(catalog: pricing, estimator: estimator, defaultOutputTokens: defaultOutputTokens)
        self.intake = UsageIntake(catalog: pricing, estimator: estimator)
        self.unpricedModels = UnpricedModelGuard(repository: repository, policy: unpricedModels)
        self.logger = logger
    }

    public func onLLMStart(_ call: LLMCallStart) async throws {
        let plan = try planner.plan(
            model: call.model, provider: call.provider, inputTokens: try estimatedInput(call), messages: [],
            outputLimits: call.maxOutputTokens.map { [OutputLimit(field: "maxOutputTokens", value: $0)] } ?? []
        )
        if !plan.priced {
            _ = try await unpricedModels.check(model: call.model, tenant: call.tenant, user: call.user)
        }
        let outcome = try await repository.reserve(
            ReservationRequest(
                tenant: call.tenant, user: call.user, tokens: plan.tokens, costNanoUSD: plan.costNanoUSD,
                ttlSeconds: reservationTTLSeconds, reservationID: call.callID, model: call.model,
                provider: call.provider ?? plan.match?.provider
            ),
            now: Date()
        )
        if case .rejected(let rejection) = outcome {
            logger.info("llm call rejected by quota", metadata: [
                "quota.tenant": "\(call.tenant)", "quota.user": "\(call.user)", "quota.limit": "\(rejection.limit.rawValue)",
            ])
            throw QuotaExceededError(rejection: rejection)
        }
    }

    public func onLLMEnd(_ call: LLMCallEnd) async throws {
        let start = call.start
        switch call.output {
        case .responseBody(let body):
            guard let event = try readable(body, of: call) else {
                // The call succeeded, so it is charged: without readable usage (an OpenAI stream without
                // `include_usage`, a truncated body) the estimate made at start stands in, marked estimated.
                try await record(input(start, counts: .estimated(startEstimate(start)), isError: false, latency: call.latencyMilliseconds))
                return
            }
            if let estimate = try? estimatedInputIfKnown(start), estimate > 0 {
                calibrator.record(model: start.model, estimated: estimate, reported: event.usage.inputTokens)
            }
            try await record(event)
        case .usage(let given):
            try await record(input(start, counts: .counts(given), isError: false, latency: call.latencyMilliseconds))
        case .none:
            try await record(input(start, counts: .estimated(startEstimate(start)), isError: false, latency: call.latencyMilliseconds))
        }
    }

    public func onLLMError(_ call: LLMCallFailure) async throws {
        let start = call.start
        _ = try await repository.release(tenant: start.tenant, user: start.user, reservationID: try reservationID(start))
        logger.debug("llm call failed", metadata: ["quota.call": "\(start.callID)", "llm.error": "\(call.reason)"])
        let latency = max(0, Int((call.endedAt.timeIntervalSince(start.startedAt) * 1000).rounded()))
        try await record(input(start, counts: .counts(call.partialUsage ?? .zero), isError: true, latency: latency))
    }

    /// The event of a response body, or nil (logged) when the body has no readable usage.
    private func readable(_ body: [UInt8], of call: LLMCallEnd) throws(QuotaError) -> UsageEvent? {
        let start = call.start
        do {
            return try intake.event(input(start, counts: .response(body), isError: false, latency: call.latencyMilliseconds))
        } catch {
            guard error.code == .unparsableUsage || error.code == .tooLarge else { throw error }
            logger.info("llm response has no readable usage; recording the start estimate", metadata: [
                "quota.call": "\(start.callID)", "quota.tenant": "\(start.tenant)", "quota.user": "\(start.user)",
                "usage.error.code": "\(error.subject ?? error.code.description)",
                "usage.estimated_tokens": "\(startEstimate(start).totalTokens)",
            ])
            return nil
        }
    }

    /// What the HTTP API's usage body carries, for this call: the response's model wins over the requested one.
    private func input(_ start: LLMCallStart, counts: UsageInput.Counts, isError: Bool, latency: Int) throws(QuotaError) -> UsageInput {
        UsageInput(
            tenant: start.tenant, user: start.user, eventID: start.callID, provider: start.provider, defaultModel: start.model,
            counts: counts, reservationID: try reservationID(start), latencyMilliseconds: latency, metadata: start.metadata,
            isError: isError, occurredAt: start.startedAt
        )
    }

    private func record(_ input: UsageInput) async throws {
        try await record(try intake.event(input))
    }

    /// Applies the unpriced-model rule, then records the event (settling the call's reservation).
    private func record(_ event: UsageEvent) async throws {
        if !event.priced {
            _ = try await unpricedModels.check(model: event.model, tenant: event.tenant, user: event.user, eventID: event.eventID)
        }
        _ = try await repository.record(event, options: RecordOptions())
    }

    /// The reservation `onLLMStart` made (or would have made) for this call.
    private func reservationID(_ call: LLMCallStart) throws(QuotaError) -> String {
        try ReservationID.make(user: call.user, suffix: call.callID)
    }

    /// The usage `onLLMStart` estimated: the input estimate plus the output cap the call gave.
    private func startEstimate(_ call: LLMCallStart) -> TokenUsage {
        TokenUsage(inputTokens: (try? estimatedInput(call)) ?? 0, outputTokens: call.maxOutputTokens ?? 0)
    }

    /// The input tokens as given, else the messages' estimate (with the planner's tokenizer family), else nil.
    private func estimatedInputIfKnown(_ call: LLMCallStart) throws(QuotaError) -> Int? {
        if let given = call.estimatedInputTokens { return given }
        if call.messages.isEmpty { return nil }
        let family = ReservationPlanner.tokenizerFamily(provider: call.provider, match: pricing.match(model: call.model, provider: call.provider))
        return try planner.estimateInputTokens(call.messages, family: family)
    }

    /// The input to hold: as given, else the calibrated estimate of the messages, else 0.
    private func estimatedInput(_ call: LLMCallStart) throws(QuotaError) -> Int {
        guard let raw = try estimatedInputIfKnown(call) else { return 0 }
        return call.estimatedInputTokens != nil ? raw : calibrator.calibrated(raw, model: call.model)
    }
}
