import Yams

extension PriceCatalog {
    /// Loads a catalog from quotad's YAML price list (the format of `config/pricing.yaml`).
    ///
    /// Token prices are USD per 1M tokens and `web_search_per_1k` is USD per 1,000 requests, written as
    /// decimal strings or plain numbers and converted exactly: the scalar's text is parsed, never a
    /// floating-point value. Unknown keys are rejected so that a misspelt
    /// field cannot silently leave a price out. An explicit YAML `null` counts as an absent optional field.
    ///
    /// - Throws: ``PricingError`` naming the model and field at fault.
    public static func load(yaml: String) throws(PricingError) -> PriceCatalog {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw PricingError(code: .invalidDocument, message: "pricing YAML cannot be parsed: \(error)")
        }
        guard let root, let document = root.mapping else {
            throw PricingError(code: .invalidDocument, message: "pricing YAML must be a mapping with a 'models' key")
        }
        for key in document.keys where key.scalar?.string != "models" {
            throw PricingError(
                code: .invalidDocument, field: key.scalar?.string,
                message: "pricing YAML has an unknown top-level key '\(key.scalar?.string ?? "?")' (expected 'models')"
            )
        }
        guard let models = document["models"]?.mapping else {
            throw PricingError(code: .invalidDocument, field: "models", message: "pricing YAML must have a 'models' mapping")
        }
        var entries: [Entry] = []
        for (key, value) in models {
            guard let name = key.scalar?.string, !name.isEmpty else {
                throw PricingError(code: .invalidDocument, message: "every key under 'models' must be a model name")
            }
            entries.append(try YAMLEntryReader(model: name).entry(from: value))
        }
        return try PriceCatalog(entries: entries)
    }
}

/// Reads one model's entry of the YAML price list, naming the model in every error.
private struct YAMLEntryReader {
    let model: String

    private static let priceKeys = [
        "input", "cache_read", "cache_write_5m", "cache_write_1h", "output", "reasoning", "audio_input", "audio_output",
    ]
    private static let entryKeys = Set(priceKeys + ["web_search_per_1k", "provider", "aliases", "long_context", "max_output_tokens"])
    private static let tierKeys = Set(priceKeys + ["above_input_tokens"])

    func entry(from node: Node) throws(PricingError) -> PriceCatalog.Entry {
        let fields = try mapping(node, field: nil, allowed: Self.entryKeys)
        var provider: Provider?
        if let node = fields["provider"], let text = try optionalScalar(node, field: "provider") {
            guard !text.isEmpty else { throw failure("provider", "'provider' must not be empty") }
            provider = Provider(rawValue: text)
        }
        var aliases: [String] = []
        if let node = fields["aliases"], !isNull(node) {
            guard let sequence = node.sequence else { throw failure("aliases", "'aliases' must be a list of names") }
            for item in sequence {
                guard let alias = try optionalScalar(item, field: "aliases") else {
                    throw failure("aliases", "'aliases' must not contain null")
                }
                aliases.append(alias)
            }
        }
        var longContext: LongContextPrice?
        if let node = fields["long_context"], !isNull(node) {
            longContext = try tier(from: node)
        }
        let price = ModelPrice(
            input: try required(fields, "input"),
            cacheRead: try optional(fields, "cache_read"),
            cacheWrite5m: try optional(fields, "cache_write_5m"),
            cacheWrite1h: try optional(fields, "cache_write_1h"),
            output: try required(fields, "output"),
            reasoning: try optional(fields, "reasoning"),
            audioInput: try optional(fields, "audio_input"),
            audioOutput: try optional(fields, "audio_output"),
            webSearchPer1k: try optional(fields, "web_search_per_1k"),
            longContext: longContext
        )
        return PriceCatalog.Entry(name: model, provider: provider, aliases: aliases, price: price, maxOutputTokens: try maxOutputTokens(fields))
    }

    /// `max_output_tokens`: a whole number of tokens, 1…``TokenUsage/maximumCount``.
    private func maxOutputTokens(_ fields: [String: Node]) throws(PricingError) -> Int? {
        guard let node = fields["max_output_tokens"], let text = try optionalScalar(node, field: "max_output_tokens") else { return nil }
        guard text.utf8.count <= 16, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), let count = Int(text),
              (1...TokenUsage.maximumCount).contains(count)
        else {
            throw failure("max_output_tokens", "'max_output_tokens' must be a whole number of tokens, 1…\(TokenUsage.maximumCount)")
        }
        return count
    }

    private func tier(from node: Node) throws(PricingError) -> LongContextPrice {
        let prefix = "long_context."
        let fields = try mapping(node, field: "long_context", allowed: Self.tierKeys)
        let thresholdField = prefix + "above_input_tokens"
        guard let thresholdNode = fields["above_input_tokens"], let text = try optionalScalar(thresholdNode, field: thresholdField) else {
            throw failure(thresholdField, "'\(thresholdField)' is required")
        }
        guard text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              let threshold = Int(text), threshold <= TokenUsage.maximumCount
        else {
            throw failure(thresholdField, "'\(thresholdField)' must be a whole number of tokens (got \"\(text)\")")
        }
        return LongContextPrice(
            thresholdInputTokens: threshold,
            input: try required(fields, "input", prefix: prefix),
            cacheRead: try optional(fields, "cache_read", prefix: prefix),
            cacheWrite5m: try optional(fields, "cache_write_5m", prefix: prefix),
            cacheWrite1h: try optional(fields, "cache_write_1h", prefix: prefix),
            output: try required(fields, "output", prefix: prefix),
            reasoning: try optional(fields, "reasoning", prefix: prefix),
            audioInput: try optional(fields, "audio_input", prefix: prefix),
            audioOutput: try optional(fields, "audio_output", prefix: prefix)
        )
    }

    /// The key/value pairs of a mapping node, rejecting keys outside `allowed`.
    private func mapping(_ node: Node, field: String?, allowed: Set<String>) throws(PricingError) -> [String: Node] {
        guard let mapping = node.mapping else {
            throw failure(field, "\(field.map { "'\($0)'" } ?? "the entry") must be a mapping of fields")
        }
        var fields: [String: Node] = [:]
        for (key, value) in mapping {
            let name = key.scalar?.string ?? "?"
            let path = field.map { "\($0).\(name)" } ?? name
            guard allowed.contains(name) else {
                throw failure(path, "unknown field '\(path)' (expected one of \(allowed.sorted().joined(separator: ", ")))")
            }
            fields[name] = value
        }
        return fields
    }

    private func required(_ fields: [String: Node], _ key: String, prefix: String = "") throws(PricingError) -> Int {
        guard let price = try optional(fields, key, prefix: prefix) else {
            throw failure(prefix + key, "price '\(prefix + key)' is required")
        }
        return price
    }

    private func optional(_ fields: [String: Node], _ key: String, prefix: String = "") throws(PricingError) -> Int? {
        let field = prefix + key
        guard let node = fields[key], let text = try optionalScalar(node, field: field) else { return nil }
        return try PriceAmount.parse(decimal: text, model: model, field: field)
    }

    /// The raw text of a scalar node, or `nil` for a YAML null.
    private func optionalScalar(_ node: Node, field: String) throws(PricingError) -> String? {
        if isNull(node) { return nil }
        guard let scalar = node.scalar else { throw failure(field, "'\(field)' must be a single value") }
        return scalar.string
    }

    private func isNull(_ node: Node) -> Bool {
        node.tag.rawValue == Tag.Name.null.rawValue
    }

    private func failure(_ field: String?, _ detail: String) -> PricingError {
        .forField(.invalidDocument, model: model, field: field, detail)
    }
}
