import Foundation
public import Logging
public import TokenAccounting

/// Counts every LLM call in the quota repository, and holds quota while calls run for users with limits.
///
/// - `onLLMStart`: when the user has limits, reserves input estimate + max output tokens (and their cost);
///   throws ``QuotaExceededError`` when a limit would be exceeded. The reservation id derives from the call
///   id, so a retried start holds quota once.
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
    let logger: Logger

    /// Creates a handler.
    public init(
        repository: any QuotaRepository,
        pricing: PriceCatalog = .bundledDefault(),
        estimator: TokenEstimator = TokenEstimator(),
        calibrator: UsageCalibrator = UsageCalibrator(),
        reservationTTLSeconds: Int = 600,
        logger: Logger
    ) {
        self.repository = repository
        self.pricing = pricing
        self.estimator = estimator
        self.calibrator = calibrator
        self.reservationTTLSeconds = reservationTTLSeconds
        self.logger = logger
    }

    public func onLLMStart(_ call: LLMCallStart) async throws {
        let quota = try await repository.quota(tenant: call.tenant, user: call.user)
        guard quota.config.limits.isLimited else { return }
        let input = estimatedInput(call)
        let output = call.maxOutputTokens ?? 0
        let cost = pricing.match(model: call.model, provider: call.provider)?.price
            .cost(of: TokenUsage(inputTokens: input, outputTokens: output)) ?? 0
        let outcome = try await repository.reserve(
            ReservationRequest(
                tenant: call.tenant, user: call.user, tokens: input + output, costNanoUSD: cost,
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
                let estimate = estimatedInputIfKnown(start)
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

    /// The usage `onLLMStart` estimated (and reserved): the input estimate plus the output cap.
    private func startEstimate(_ call: LLMCallStart) -> TokenUsage {
        TokenUsage(inputTokens: estimatedInput(call), outputTokens: call.maxOutputTokens ?? 0)
    }

    private func estimatedInputIfKnown(_ call: LLMCallStart) -> Int? {
        if let given = call.estimatedInputTokens { return given }
        if call.messages.isEmpty { return nil }
        return estimator.estimateInputTokens(messages: call.messages, provider: call.provider ?? .openai)
    }

    private func estimatedInput(_ call: LLMCallStart) -> Int {
        guard let raw = estimatedInputIfKnown(call) else { return 0 }
        return call.estimatedInputTokens != nil ? raw : calibrator.calibrated(raw, model: call.model)
    }
}
