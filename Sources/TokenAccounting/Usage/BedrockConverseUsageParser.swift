/// Reads AWS Bedrock Converse usage (and ConverseStream's `metadata` event).
///
/// `usage.inputTokens` EXCLUDES cache reads and writes, so canonical input is
/// `inputTokens + cacheReadInputTokens + cacheWriteInputTokens`. The optional `cacheDetails` array
/// (`[{ttl: "5m" | "1h", inputTokens}]`) gives the 1-hour part of the writes, clamped to the total write count.
/// Converse responses do not name the model; the caller should.
enum BedrockConverseUsageParser {
    /// Maps the events' usage to canonical counts.
    static func parse(_ events: [UsageEvent]) throws(UsageParseError) -> (usage: TokenUsage, model: String?) {
        var last: UsageBlock?
        for event in events {
            let payload = event.payload
            if let usage = try UsageBlock.read(payload["usage"], path: "usage") { last = usage }
            if case .object(let metadata)? = payload["metadata"],
                let usage = try UsageBlock.read(metadata["usage"], path: "metadata.usage")
            {
                last = usage
            }
        }
        guard let usage = last else {
            throw UsageParseError(.noUsage, "the Bedrock Converse response has no usage (a stream needs its metadata event)")
        }
        try usage.requireAny(of: ["inputTokens", "outputTokens"], format: .bedrockConverse)
        let uncached = try usage.count("inputTokens")
        let cacheRead = try usage.count("cacheReadInputTokens")
        let cacheWrite = try usage.count("cacheWriteInputTokens")
        let cacheWrite1h = min(try oneHourWrites(in: usage), cacheWrite)
        let input = try UsageArithmetic.sum(
            [("\(usage.path).inputTokens", uncached), ("\(usage.path).cacheReadInputTokens", cacheRead), ("\(usage.path).cacheWriteInputTokens", cacheWrite)],
            into: "input_tokens"
        )
        let counts = TokenUsage(
            inputTokens: input,
            cachedInputTokens: cacheRead,
            cacheWriteTokens: cacheWrite,
            cacheWrite1hTokens: cacheWrite1h,
            outputTokens: try usage.count("outputTokens")
        )
        return (try UsageArithmetic.validated(counts, format: .bedrockConverse), nil)
    }

    private static func oneHourWrites(in usage: UsageBlock) throws(UsageParseError) -> Int {
        let path = "\(usage.path).cacheDetails"
        let details: [JSONValue]
        switch usage.fields["cacheDetails"] {
        case nil, .null?: return 0
        case .array(let elements)?: details = elements
        case let other?: throw UsageParseError(.invalidCount, "\(path) must be an array, not \(other.typeName)")
        }
        var parts: [(field: String, count: Int)] = []
        for (position, element) in details.enumerated() {
            guard let detail = try UsageBlock.read(element, path: "\(path)[\(position)]") else { continue }
            let count = try detail.count("inputTokens")
            if detail.fields["ttl"]?.stringValue == "1h" { parts.append(("\(detail.path).inputTokens", count)) }
        }
        return try UsageArithmetic.sum(parts, into: "cache_write_1h_tokens")
    }
}
