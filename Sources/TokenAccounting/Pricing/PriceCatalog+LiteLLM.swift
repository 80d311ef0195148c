extension PriceCatalog {
    /// Loads a catalog from LiteLLM's `model_prices_and_context_window.json`.
    ///
    /// Each top-level key is a model name (kept verbatim, so `gemini/gemini-2.5-pro` and `gemini-2.5-pro`
    /// are separate entries; matching normalizes them). Read per entry:
    /// `input_cost_per_token`, `cache_read_input_token_cost`, `cache_creation_input_token_cost` (5-minute
    /// write), `cache_creation_input_token_cost_above_1hr`, `output_cost_per_token`,
    /// `output_cost_per_reasoning_token`, `input_cost_per_audio_token`, `output_cost_per_audio_token`, and one
    /// long-context tier from the `*_above_<N>k_tokens` variants of those fields (the lowest `N` when several
    /// exist; a tier without audio fields has no audio price). `litellm_provider` is mapped to a ``Provider``.
    ///
    /// The web-search price comes from `search_context_cost_per_query` (USD per search, by search context
    /// size): the highest of its sizes is used, since a usage record does not say which size a call used and
    /// a call must never be under-billed. It is read only when `web_search_billing_unit` is absent or
    /// `per_query` (quotad counts search requests, not grounded prompts).
    ///
    /// Entries without `input_cost_per_token` (the `sample_spec` entry, image, audio and per-second models)
    /// are skipped; an absent `output_cost_per_token` is 0, as in LiteLLM. Per-token float prices are converted
    /// with `(value × 10¹⁵).rounded()` to nano-USD per 1M tokens: LiteLLM's prices are short decimal
    /// literals, so rounding recovers them exactly. Service-tier (`_batches`, `_flex`, `_priority`), image, video
    /// and regional prices are ignored.
    ///
    /// - Throws: ``PricingError`` when the document is not a JSON object of objects, or a price is negative,
    ///   not a number or too large.
    public static func load(liteLLMJSON bytes: [UInt8]) throws(PricingError) -> PriceCatalog {
        let parsed: JSONValue
        do {
            parsed = try JSONReader.parse(bytes, maximumDepth: 32)
        } catch {
            throw PricingError(code: .invalidDocument, message: "LiteLLM price file is not valid JSON: \(error.message)")
        }
        guard let document = parsed.objectValue else {
            throw PricingError(code: .invalidDocument, message: "LiteLLM price file must be a JSON object of models")
        }
        var entries: [Entry] = []
        for name in document.keys.sorted() where name != "sample_spec" {
            guard let fields = document.object(name) else { continue }
            if let entry = try LiteLLMEntryReader(model: name, fields: fields).entry() {
                entries.append(entry)
            }
        }
        return try PriceCatalog(entries: entries)
    }
}

/// Reads one LiteLLM model entry, naming the model in every error.
private struct LiteLLMEntryReader {
    let model: String
    let fields: [String: JSONValue]

    /// LiteLLM provider names that correspond to a quotad ``Provider``; others are kept verbatim.
    private static let providers: [String: Provider] = [
        "openai": .openai, "text-completion-openai": .openai, "azure": .azureOpenAI, "azure_ai": .azureOpenAI,
        "anthropic": .anthropic, "bedrock": .awsBedrock, "bedrock_converse": .awsBedrock,
        "gemini": .googleGemini, "vertex_ai-language-models": .googleGemini, "mistral": .mistral,
    ]

    func entry() throws(PricingError) -> PriceCatalog.Entry? {
        guard let input = try price("input_cost_per_token") else { return nil }
        let output = try price("output_cost_per_token") ?? 0
        let price = ModelPrice(
            input: input,
            cacheRead: try price("cache_read_input_token_cost"),
            cacheWrite5m: try price("cache_creation_input_token_cost"),
            cacheWrite1h: try price("cache_creation_input_token_cost_above_1hr"),
            output: output,
            reasoning: try price("output_cost_per_reasoning_token"),
            audioInput: try price("input_cost_per_audio_token"),
            audioOutput: try price("output_cost_per_audio_token"),
            webSearchPer1k: try webSearchPrice(),
            longContext: try longContext(baseInput: input, baseOutput: output)
        )
        var provider: Provider?
        if let name = fields.nonEmptyString("litellm_provider") {
            provider = Self.providers[name] ?? Provider(rawValue: name)
        }
        var maxOutput: Int?
        if case .integer(let count) = fields["max_output_tokens"], (1...TokenUsage.maximumCount).contains(count) { maxOutput = count }
        return PriceCatalog.Entry(name: model, provider: provider, price: price, maxOutputTokens: maxOutput)
    }

    /// The tier built from `<base field>_above_<N>k_tokens` fields with the lowest `N`, if any.
    private func longContext(baseInput: Int, baseOutput: Int) throws(PricingError) -> LongContextPrice? {
        let thresholds = fields.keys.compactMap(Self.tierThreshold(of:))
        guard let thousands = thresholds.min() else { return nil }
        let suffix = "_above_\(thousands)k_tokens"
        return LongContextPrice(
            thresholdInputTokens: thousands * 1000,
            input: try price("input_cost_per_token" + suffix) ?? baseInput,
            cacheRead: try price("cache_read_input_token_cost" + suffix),
            cacheWrite5m: try price("cache_creation_input_token_cost" + suffix),
            cacheWrite1h: try price("cache_creation_input_token_cost_above_1hr" + suffix),
            output: try price("output_cost_per_token" + suffix) ?? baseOutput,
            reasoning: try price("output_cost_per_reasoning_token" + suffix),
            audioInput: try price("input_cost_per_audio_token" + suffix),
            audioOutput: try price("output_cost_per_audio_token" + suffix)
        )
    }

    /// The highest `search_context_cost_per_query` size, in nano-USD per 1,000 requests, when searches are
    /// billed per query.
    private func webSearchPrice() throws(PricingError) -> Int? {
        let field = "search_context_cost_per_query"
        switch fields["web_search_billing_unit"] {
        case nil, .null?:
            break
        case .string(let unit)? where unit == "per_query":
            break
        default:
            return nil
        }
        switch fields[field] {
        case nil, .null?:
            return nil
        case .object(let sizes)?:
            var highest: Int?
            for (size, value) in sizes.sorted(by: { $0.key < $1.key }) {
                let path = "\(field).\(size)"
                let amount: Int
                switch value {
                case .null: continue
                case .integer(let number): amount = try PriceAmount.convert(perRequestUSD: Double(number), model: model, field: path)
                case .double(let number): amount = try PriceAmount.convert(perRequestUSD: number, model: model, field: path)
                default: throw .forField(.invalidPrice, model: model, field: path, "price '\(path)' must be a number")
                }
                highest = max(highest ?? amount, amount)
            }
            return highest
        default:
            throw .forField(.invalidPrice, model: model, field: field, "'\(field)' must be an object of prices per search context size")
        }
    }

    /// `N` of a key `<known base field>_above_<N>k_tokens`, or `nil` for any other key.
    private static func tierThreshold(of key: String) -> Int? {
        let bases = [
            "input_cost_per_token", "output_cost_per_token", "cache_read_input_token_cost",
            "cache_creation_input_token_cost", "cache_creation_input_token_cost_above_1hr",
            "output_cost_per_reasoning_token", "input_cost_per_audio_token", "output_cost_per_audio_token",
        ]
        let suffix = "k_tokens"
        guard key.hasSuffix(suffix) else { return nil }
        for base in bases where key.hasPrefix(base + "_above_") {
            let digits = key.dropFirst(base.count + "_above_".count).dropLast(suffix.count)
            if !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(digits),
               value <= TokenUsage.maximumCount / 1000
            {
                return value
            }
        }
        return nil
    }

    /// The price in a field, converted to nano-USD per 1M tokens; `nil` when the field is absent or null.
    private func price(_ field: String) throws(PricingError) -> Int? {
        switch fields[field] {
        case nil, .null?:
            return nil
        case .integer(let value)?:
            return try PriceAmount.convert(perTokenUSD: Double(value), model: model, field: field)
        case .double(let value)?:
            return try PriceAmount.convert(perTokenUSD: value, model: model, field: field)
        default:
            throw .forField(.invalidPrice, model: model, field: field, "price '\(field)' must be a number")
        }
    }
}
