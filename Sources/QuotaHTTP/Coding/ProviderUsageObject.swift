import Foundation
import NIOCore
import TokenAccounting

/// A provider's own usage object sent as `usage` (`{"prompt_tokens":…}` from OpenAI, `usageMetadata`'s
/// members from Gemini, …): when its members say unambiguously which provider's it is, the body is read as
/// if the object had come as that provider's `response`, by the same parser.
enum ProviderUsageObject {
    /// The members that name one provider's usage object, and the response member that holds it.
    static let shapes: [(provider: Provider, member: String, fields: Set<String>)] = [
        (.openai, "usage", ["prompt_tokens", "completion_tokens", "prompt_tokens_details", "completion_tokens_details",
                            "input_tokens_details", "output_tokens_details"]),
        (.anthropic, "usage", ["cache_creation_input_tokens", "cache_read_input_tokens", "cache_creation", "server_tool_use", "service_tier"]),
        (.googleGemini, "usageMetadata", ["promptTokenCount", "candidatesTokenCount", "totalTokenCount", "cachedContentTokenCount",
                                          "thoughtsTokenCount", "toolUsePromptTokenCount"]),
        (.awsBedrock, "usage", ["inputTokens", "outputTokens", "totalTokens", "cacheReadInputTokens", "cacheWriteInputTokens"]),
    ]

    /// The body with its `usage` object moved into `response` (and `provider` set unless given), or nil when
    /// the body's only key problems are not provider usage members, or the object's shape names no single
    /// provider. Only called after the strict check refused the body, so the common path never pays for it.
    static func asResponse(_ buffer: ByteBuffer, schema: JSONKeySchema) -> ByteBuffer? {
        let bytes = Array(buffer.readableBytesView)
        let violations = JSONKeyScanner.violations(in: bytes, schema: schema)
        guard !violations.isEmpty, violations.allSatisfy({ violation in
            guard violation.path.count == 2, case .key("usage") = violation.path[0], case .key(let key) = violation.path[1] else { return false }
            return JSONKeyScanner.providerUsageFields.contains(key) && violation.message.hasPrefix("unknown field")
        }) else { return nil }
        guard var body = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any],
              let usage = body["usage"] as? [String: Any], body["response"] == nil
        else { return nil }
        let keys = Set(usage.keys)
        let matching = shapes.filter { !$0.fields.isDisjoint(with: keys) }
        guard matching.count == 1, let shape = matching.first else { return nil }
        body["usage"] = nil
        body["response"] = [shape.member: usage]
        if body["provider"] == nil { body["provider"] = shape.provider.rawValue }
        guard let data = try? JSONSerialization.data(withJSONObject: body) else { return nil }
        return ByteBuffer(bytes: data)
    }
}
