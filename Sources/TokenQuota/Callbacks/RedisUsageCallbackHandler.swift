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
///   prices it, and records it with the call id as event id, settling the reservation in the same step.
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
                ttlSeconds: reservationTTLSeconds, reservationID: call.callID
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
        var model = start.model
        var provider = start.provider
        let usage: TokenUsage
        var source = UsageSource.reported
        switch call.output {
        case .responseBody(let body):
            do {
                let record = try UsageParser.parse(body, provider: start.provider, model: nil)
                usage = record.usage
                if let reported = record.model, !reported.isEmpty { model = reported }
                provider = provider ?? record.provider
                let estimate = try? estimatedInputIfKnown(start)
                if let estimate, estimate > 0 { calibrator.record(model: start.model, estimated: estimate, reported: usage.inputTokens) }
            } catch {
                // The call succeeded, so it is charged: without readable usage (an OpenAI stream without
                // `include_usage`, a truncated body) the estimate made at start stands in, marked estimated.
                source = .estimated
                usage = startEstimate(start)
                logger.info("llm response has no readable usage; recording the start estimate", metadata: [
                    "quota.call": "\(start.callID)", "quota.tenant": "\(start.tenant)", "quota.user": "\(start.user)",
                    "usage.error.code": "\(error.code)", "usage.estimated_tokens": "\(usage.totalTokens)",
                ])
            }
        case .usage(let given):
            usage = given
        case .none:
            source = .estimated
            usage = startEstimate(start)
        }
        try await record(start: start, model: model, provider: provider, usage: usage, source: source, isError: false, latency: call.latencyMilliseconds)
    }

    public func onLLMError(_ call: LLMCallFailure) async throws {
        let start = call.start
        _ = try await repository.release(tenant: start.tenant, user: start.user, reservationID: try reservationID(start))
        logger.debug("llm call failed", metadata: ["quota.call": "\(start.callID)", "llm.error": "\(call.reason)"])
        let latency = max(0, Int((call.endedAt.timeIntervalSince(start.startedAt) * 1000).rounded()))
        try await record(start: start, model: start.model, provider: start.provider, usage: call.partialUsage ?? .zero, source: .reported, isError: true, latency: latency)
    }

    private func record(start: LLMCallStart, model: String, provider: Provider?, usage: TokenUsage, source: UsageSource, isError: Bool, latency: Int) async throws {
        let cost = pricing.cost(model: model, provider: provider, usage: usage)
        if !cost.priced {
            _ = try await unpricedModels.check(model: model, tenant: start.tenant, user: start.user, eventID: start.callID)
        }
        let event = UsageEvent(
            tenant: start.tenant, user: start.user, eventID: start.callID, provider: provider, model: model,
            usage: usage, source: source, costNanoUSD: cost.nanoUSD, priced: cost.priced, isError: isError,
            reservationID: try reservationID(start), latencyMilliseconds: latency,
            metadata: start.metadata, occurredAt: start.startedAt
        )
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
