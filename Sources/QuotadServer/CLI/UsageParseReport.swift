import Foundation
public import TokenAccounting

/// The output of `quotad usage parse`: a provider response's canonical usage and its cost, as one JSON object.
///
/// ```json
/// {"provider":"openai","model":"gpt-4o-2024-08-06","usage":{"input_tokens":14,"cached_input_tokens":0,
///  "cache_write_tokens":0,"output_tokens":37,"reasoning_tokens":0},"source":"reported","cost_nano_usd":405000,
///  "priced":true,"matched_model":"gpt-4o"}
/// ```
public struct UsageParseReport: Sendable, Encodable {
    struct Counts: Encodable {
        let input_tokens: Int
        let cached_input_tokens: Int
        let cache_write_tokens: Int
        let output_tokens: Int
        let reasoning_tokens: Int
    }

    let provider: String
    let model: String?
    let usage: Counts
    let source: String
    let cost_nano_usd: Int
    let priced: Bool
    let matched_model: String?

    /// Parses `body` and prices it with `catalog`.
    ///
    /// - Throws: ``UsageParseError`` when the body cannot be read.
    public init(body: [UInt8], provider: Provider?, model: String?, catalog: PriceCatalog) throws(UsageParseError) {
        let record = try UsageParser.parse(body, provider: provider, model: model)
        let cost = catalog.cost(model: record.model, provider: record.provider, usage: record.usage)
        self.provider = record.provider.rawValue
        self.model = record.model
        self.usage = Counts(
            input_tokens: record.usage.inputTokens, cached_input_tokens: record.usage.cachedInputTokens,
            cache_write_tokens: record.usage.cacheWriteTokens, output_tokens: record.usage.outputTokens,
            reasoning_tokens: record.usage.reasoningTokens
        )
        self.source = record.source.rawValue
        self.cost_nano_usd = cost.nanoUSD
        self.priced = cost.priced
        self.matched_model = cost.matchedModel
    }

    /// The report as one line of JSON, fields in the documented order.
    public func json() -> String {
        func quoted(_ text: String?) -> String {
            guard let text else { return "null" }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.withoutEscapingSlashes]
            return (try? encoder.encode(text)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
        }
        let counts = "{\"input_tokens\":\(usage.input_tokens),\"cached_input_tokens\":\(usage.cached_input_tokens),"
            + "\"cache_write_tokens\":\(usage.cache_write_tokens),\"output_tokens\":\(usage.output_tokens),"
            + "\"reasoning_tokens\":\(usage.reasoning_tokens)}"
        return "{\"provider\":\(quoted(provider)),\"model\":\(quoted(model)),\"usage\":\(counts),"
            + "\"source\":\(quoted(source)),\"cost_nano_usd\":\(cost_nano_usd),\"priced\":\(priced),"
            + "\"matched_model\":\(quoted(matched_model))}"
    }

    /// A parse error as the CLI prints it to stderr: `{"error":{"code":"...","message":"..."}}`.
    public static func errorJSON(code: String, message: String) -> String {
        let body = ["error": ["code": code, "message": message]]
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// Parses `body` for the CLI: the provider by name, prices from the bundled catalogue with
    /// `pricingFile` merged over it.
    ///
    /// - Throws: ``UsageParseReportError`` with the code and message the CLI prints.
    public static func make(body: [UInt8], providerName: String?, model: String?, pricingFile: String?) throws(UsageParseReportError) -> UsageParseReport {
        let catalog: PriceCatalog
        do { catalog = try self.catalog(pricingFile: pricingFile) } catch {
            throw UsageParseReportError(code: "invalid_pricing", message: error.message)
        }
        do {
            return try UsageParseReport(body: body, provider: providerName.map(Provider.init(rawValue:)), model: model, catalog: catalog)
        } catch {
            throw UsageParseReportError(code: error.code.rawValue, message: error.message)
        }
    }

    /// The pricing catalogue the CLI uses: the bundled default, with `path` (YAML or LiteLLM JSON) merged over it.
    public static func catalog(pricingFile path: String?) throws(PricingError) -> PriceCatalog {
        let base = PriceCatalog.bundledDefault()
        guard let path, !path.isEmpty else { return base }
        return base.merging(try PriceCatalog.load(contentsOf: path))
    }
}

/// Why `quotad usage parse` failed: a snake_case code and a message.
public struct UsageParseReportError: Error, Sendable {
    /// The error code (`invalid_json`, `no_usage`, `invalid_pricing`, ...).
    public let code: String
    /// What is wrong.
    public let message: String
}
