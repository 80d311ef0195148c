public import TokenAccounting

/// What a reservation holds for one call, decided by ``ReservationPlanner``.
public struct ReservationPlan: Sendable, Hashable {
    /// The model as the caller named it.
    public var model: String
    /// The catalogue entry that prices it, if any.
    public var match: PriceMatch?
    /// The input tokens held: as given, else estimated from the messages.
    public var inputTokens: Int
    /// The output tokens held: the call's limit, else the model's most output, else the configured default.
    public var outputTokens: Int
    /// The cost held in nano-USD: every token at the highest rate it could be charged (0 when unpriced).
    public var costNanoUSD: Int

    /// The tokens held (input plus output).
    public var tokens: Int { inputTokens + outputTokens }
    /// Whether the model has a price (an unpriced plan must pass ``UnpricedModelGuard`` before it is held).
    public var priced: Bool { match != nil }
}

/// An output limit a caller gave, with the name it gave it under (`max_output_tokens`, `max_tokens`,
/// `max_completion_tokens`, in the body or in the provider request).
public struct OutputLimit: Sendable, Hashable {
    /// The name the limit was given under, for error messages.
    public var field: String
    /// The limit.
    public var value: Int

    /// Creates a limit.
    public init(field: String, value: Int) {
        self.field = field
        self.value = value
    }
}

/// Decides what a reservation holds, the same way for every path into quotad (the HTTP API, the library's
/// callback handlers): input as given or estimated with the model's tokenizer family, output as limited
/// or the model's most, cost priced pessimistically. Pure: no I/O.
public struct ReservationPlanner: Sendable {
    /// Model prices (and each model's most output tokens).
    public let catalog: PriceCatalog
    /// The local token estimator.
    public let estimator: TokenEstimator
    /// The output tokens held when neither the call nor the price list names a limit.
    public let defaultOutputTokens: Int
    /// The most messages one estimate reads.
    public static let maximumMessages = 10_000

    /// Creates a planner.
    public init(catalog: PriceCatalog, estimator: TokenEstimator = TokenEstimator(), defaultOutputTokens: Int = 16_384) {
        self.catalog = catalog
        self.estimator = estimator
        self.defaultOutputTokens = defaultOutputTokens
    }

    /// The plan for a call of `model`: `inputTokens` when given (then `messages` must be empty), else the
    /// estimate of `messages`; output from `outputLimits` (which must agree).
    ///
    /// - Throws: ``QuotaError/Code/invalidArgument`` naming the field for a count out of range, limits that
    ///   disagree, too many messages, no input estimate at all, or nothing to hold.
    public func plan(
        model: String, provider: Provider?, inputTokens: Int?, messages: [ChatMessage], outputLimits: [OutputLimit]
    ) throws(QuotaError) -> ReservationPlan {
        let match = catalog.match(model: model, provider: provider)
        let input = try inputEstimate(inputTokens: inputTokens, messages: messages, family: Self.tokenizerFamily(provider: provider, match: match))
        let output = try outputTokens(outputLimits, match: match)
        guard input + output > 0 else {
            throw QuotaError(.invalidArgument, "nothing to reserve: the input estimate and the output limit are both 0")
        }
        var cost = 0
        if let price = match?.price {
            // Priced pessimistically: every token at the highest rate it could be charged (cache writes,
            // reasoning, audio, the long-context tier), so a reservation never holds less than the call can cost.
            do { cost = try price.reservationCost(inputTokens: input, maxOutputTokens: output) } catch {
                throw QuotaError(.invalidArgument, error.message)
            }
        }
        return ReservationPlan(model: model, match: match, inputTokens: input, outputTokens: output, costNanoUSD: cost)
    }

    /// The provider family whose tokenizer estimates a call: the given provider, else the catalogue entry's.
    public static func tokenizerFamily(provider: Provider?, match: PriceMatch?) -> Provider {
        provider ?? match?.provider ?? .openaiCompatible
    }

    /// The estimated input tokens of `messages` (at most ``maximumMessages``).
    public func estimateInputTokens(_ messages: [ChatMessage], family: Provider) throws(QuotaError) -> Int {
        guard messages.count <= Self.maximumMessages else {
            throw QuotaError(.invalidArgument, "at most \(Self.maximumMessages) messages")
        }
        return estimator.estimateInputTokens(messages: messages, provider: family)
    }

    func inputEstimate(inputTokens: Int?, messages: [ChatMessage], family: Provider) throws(QuotaError) -> Int {
        if let count = inputTokens {
            guard messages.isEmpty else {
                throw QuotaError(.invalidArgument, "give either 'input_tokens' or 'messages' (and 'system'), not both")
            }
            guard (0...TokenUsage.maximumCount).contains(count) else {
                throw QuotaError(.invalidArgument, "input_tokens must be 0…\(TokenUsage.maximumCount)")
            }
            return count
        }
        guard !messages.isEmpty else {
            throw QuotaError(.invalidArgument, "a reservation needs an input estimate: give input_tokens, messages or the provider request")
        }
        return try estimateInputTokens(messages, family: family)
    }

    /// The output tokens to hold: the call's limit (all given limits must agree), else the model's most
    /// output from the price list, else ``defaultOutputTokens``. Never 0 unless the call says 0.
    public func outputTokens(_ limits: [OutputLimit], match: PriceMatch?) throws(QuotaError) -> Int {
        guard let first = limits.first else { return match?.maxOutputTokens ?? defaultOutputTokens }
        for limit in limits {
            guard (0...TokenUsage.maximumCount).contains(limit.value) else {
                throw QuotaError(.invalidArgument, "\(limit.field) must be 0…\(TokenUsage.maximumCount) (got \(limit.value))")
            }
            guard limit.value == first.value else {
                throw QuotaError(
                    .invalidArgument, "\(first.field) (\(first.value)) and \(limit.field) (\(limit.value)) disagree: give one output limit")
            }
        }
        return first.value
    }
}
