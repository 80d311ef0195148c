import Foundation
import TokenAccounting
import TokenQuota

extension UsageResponse {
    /// The response as a ``JSONFragment`` (the hot path serializes it directly, without `JSONEncoder`);
    /// the same members as the `Encodable` form.
    public var fragment: JSONFragment {
        var members: [String: JSONFragment] = [
            "recorded": .bool(recorded), "event_id": .string(eventID), "user": .string(user), "model": .string(model),
            "usage": Self.fragment(usage), "source": .string(source.rawValue), "cost_nano_usd": .int(costNanoUSD),
            "priced": .bool(priced), "priced_as": pricedAs.map { .string($0) } ?? .null,
        ]
        if let reason { members["reason"] = .string(reason) }
        if let result {
            members["cycle"] = .object([
                "id": .string(result.cycle.id), "start": .string(Self.timestamp(result.cycle.start)),
                "end": .string(Self.timestamp(result.cycle.end)),
            ])
            members["totals"] = Self.fragment(result.totals)
            members["reserved"] = Self.amounts(result.reserved.tokens, result.reserved.costNanoUSD, result.reserved.requests)
            members["limits"] = Self.amounts(result.limits.tokens, result.limits.costNanoUSD, result.limits.requests)
            members["remaining"] = Self.amounts(result.remaining.tokens, result.remaining.costNanoUSD, result.remaining.requests)
            members["over_limit"] = .array(result.overLimit.map { .string($0.rawValue) })
        } else {
            for key in ["cycle", "totals", "reserved", "limits", "remaining", "over_limit"] { members[key] = .null }
        }
        return .object(members)
    }

    static func fragment(_ usage: TokenUsage) -> JSONFragment {
        .object([
            "input_tokens": .int(usage.inputTokens), "cached_input_tokens": .int(usage.cachedInputTokens),
            "cache_write_tokens": .int(usage.cacheWriteTokens), "cache_write_1h_tokens": .int(usage.cacheWrite1hTokens),
            "output_tokens": .int(usage.outputTokens), "reasoning_tokens": .int(usage.reasoningTokens),
            "audio_input_tokens": .int(usage.audioInputTokens), "audio_output_tokens": .int(usage.audioOutputTokens),
            "web_search_requests": .int(usage.webSearchRequests),
        ])
    }

    static func fragment(_ totals: UsageTotals) -> JSONFragment {
        guard case .object(var members) = fragment(totals.usage) else { return .null }
        members["total_tokens"] = .int(totals.tokens)
        members["requests"] = .int(totals.requests)
        members["errors"] = .int(totals.errors)
        members["cost_nano_usd"] = .int(totals.costNanoUSD)
        members["unpriced_requests"] = .int(totals.unpricedRequests)
        members["estimated_requests"] = .int(totals.estimatedRequests)
        return .object(members)
    }

    static func amounts(_ tokens: Int?, _ cost: Int?, _ requests: Int?) -> JSONFragment {
        .object([
            "tokens": tokens.map(JSONFragment.int) ?? .null, "cost_nano_usd": cost.map(JSONFragment.int) ?? .null,
            "requests": requests.map(JSONFragment.int) ?? .null,
        ])
    }

    /// ISO 8601 UTC with whole seconds, as `JSONEncoder`'s `.iso8601` strategy writes it.
    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
