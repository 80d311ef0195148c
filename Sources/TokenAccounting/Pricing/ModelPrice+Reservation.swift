extension ModelPrice {
    /// The most a call of `inputTokens` input tokens and at most `maxOutputTokens` output tokens could cost,
    /// in nano-USD (10⁻⁹ USD), rounded up: what a reservation holds so that it is never under-reserved.
    ///
    /// Before a call nobody knows how its tokens will split into classes, so every token is priced at the
    /// highest rate it could be charged. The rates are those ``cost(of:)`` would use for `inputTokens` input
    /// tokens — the long-context tier's when `inputTokens` exceeds its threshold (the tier prices the whole
    /// call), the base prices otherwise — after the usual fallbacks:
    /// - every input token at the highest input-side rate: the maximum of ``input``, ``cacheRead``,
    ///   ``cacheWrite5m``, ``cacheWrite1h`` and ``audioInput`` (a model without an audio input price counts
    ///   its input price there, as ``cost(of:)`` does);
    /// - every output token at the highest output-side rate: the maximum of ``output``, ``reasoning`` (the
    ///   output price when reasoning is not priced separately) and ``audioOutput`` (likewise).
    ///
    /// reservation = ⌈(inputTokens × highest input rate + maxOutputTokens × highest output rate) / 1,000,000⌉
    ///
    /// So the result is at least ``cost(of:)`` of every ``TokenUsage`` with these input and output counts,
    /// however its tokens are split into cached, cache-write (5-minute or 1-hour), reasoning and audio tokens,
    /// and it is the cost of the dearest such split, rounded up instead of half up. A model with one input
    /// and one output rate reserves exactly the plain cost (when that is a whole number of nano-USD).
    /// Web searches are priced per request, not per token, and are not included: a reservation holds tokens.
    ///
    /// The products are summed in `Int128` and divided once; a negative price counts as zero, and a result
    /// beyond `Int.max` nano-USD (possible only with prices above $10,000 per 1M tokens, which a catalog never
    /// accepts) is clamped to `Int.max`.
    ///
    /// - Parameters:
    ///   - inputTokens: The estimated input tokens of the call, `0...TokenUsage.maximumCount`.
    ///   - maxOutputTokens: The most output tokens the call may generate, `0...TokenUsage.maximumCount`.
    /// - Returns: The pessimistic cost in nano-USD.
    /// - Throws: ``UsageValidationError`` naming `input_tokens` or `max_output_tokens` when a count is negative
    ///   or above ``TokenUsage/maximumCount``.
    public func reservationCost(inputTokens: Int, maxOutputTokens: Int) throws(UsageValidationError) -> Int {
        for (name, value) in [("input_tokens", inputTokens), ("max_output_tokens", maxOutputTokens)] {
            guard value >= 0 else {
                throw UsageValidationError(message: "\(name) must not be negative (got \(value))")
            }
            guard value <= TokenUsage.maximumCount else {
                throw UsageValidationError(
                    message: "\(name) is implausibly large (got \(value), at most \(TokenUsage.maximumCount))"
                )
            }
        }
        let rates = rates(forInputTokens: inputTokens)
        let inputRate = max(
            0, rates.input, rates.cacheRead, rates.cacheWrite5m, rates.cacheWrite1h, rates.audioInput ?? rates.input
        )
        let outputRate = max(0, rates.output, rates.reasoning, rates.audioOutput ?? rates.output)
        // Each count is at most 10^10 and each rate below 2^63, so each product is below 2^97 and the sum
        // below 2^98: nothing here can overflow `Int128`.
        let total = Int128(inputTokens) * Int128(inputRate) + Int128(maxOutputTokens) * Int128(outputRate)
        let nanoUSD = (total + 999_999) / 1_000_000
        return nanoUSD > Int128(Int.max) ? Int.max : Int(nanoUSD)
    }

    /// The most `outputTokens` more output tokens could add to a held call's cost, in nano-USD, rounded up:
    /// what extending a reservation holds. The call's input is not known here, so the rates are those of the
    /// dearest tier (the long-context tier when there is one), each token at the highest output-side rate
    /// as in ``reservationCost(inputTokens:maxOutputTokens:)``.
    ///
    /// - Throws: ``UsageValidationError`` naming `add_output_tokens` when the count is negative or above
    ///   ``TokenUsage/maximumCount``.
    public func extensionCost(outputTokens: Int) throws(UsageValidationError) -> Int {
        guard (0...TokenUsage.maximumCount).contains(outputTokens) else {
            throw UsageValidationError(message: "add_output_tokens must be 0...\(TokenUsage.maximumCount) (got \(outputTokens))")
        }
        let tiers = [rates(forInputTokens: 0), rates(forInputTokens: TokenUsage.maximumCount)]
        let outputRate = tiers.map { max(0, $0.output, $0.reasoning, $0.audioOutput ?? $0.output) }.max() ?? 0
        let nanoUSD = (Int128(outputTokens) * Int128(outputRate) + 999_999) / 1_000_000
        return nanoUSD > Int128(Int.max) ? Int.max : Int(nanoUSD)
    }
}
