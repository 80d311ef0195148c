import HTTPTypes
import Hummingbird
import NIOCore
import TokenAccounting
import TokenQuota

extension UsageResponse {
    /// The `200` answer to a recording request (usage or commit) in the form its `Prefer` header asks for:
    /// ``minimalJSON`` with `Preference-Applied: return=minimal`, else ``fullJSON``; with the RateLimit
    /// headers of the binding window.
    func answer(preferring preference: ReturnPreference) -> Response {
        var answer = JSONResponse.make(status: .ok, buffer: preference == .minimal ? minimalJSON : fullJSON)
        if preference == .minimal { answer.headers[ReturnPreference.appliedHeader] = "return=minimal" }
        RateLimitHeaders.apply(result?.rateLimit, to: &answer.headers)
        return answer
    }

    /// The full response as JSON bytes, written directly: byte-identical to `fragment.serialized` (members
    /// in sorted key order, the same escaping), without building the fragment tree.
    var fullJSON: ByteBuffer {
        var json = JSONByteWriter(capacity: 1152)
        json.raw("{")
        json.key("cost_nano_usd"); json.int(costNanoUSD)
        json.raw(","); json.key("cycle")
        if let result {
            json.raw("{"); json.key("end"); json.timestamp(result.cycle.end)
            json.raw(","); json.key("id"); json.string(result.cycle.id)
            json.raw(","); json.key("start"); json.timestamp(result.cycle.start)
            json.raw("}")
        } else {
            json.raw("null")
        }
        json.raw(","); json.key("event_id"); json.string(eventID)
        json.raw(","); json.key("limits")
        Self.amounts(result.map { ($0.limits.tokens, $0.limits.costNanoUSD, $0.limits.requests) }, to: &json)
        json.raw(","); json.key("model"); json.string(model)
        json.raw(","); json.key("over_limit"); Self.overLimit(result, to: &json)
        json.raw(","); json.key("priced"); json.bool(priced)
        json.raw(","); json.key("priced_as")
        if let pricedAs { json.string(pricedAs) } else { json.raw("null") }
        if let reason { json.raw(","); json.key("reason"); json.string(reason) }
        json.raw(","); json.key("recorded"); json.bool(recorded)
        json.raw(","); json.key("remaining")
        Self.amounts(result.map { ($0.remaining.tokens, $0.remaining.costNanoUSD, $0.remaining.requests) }, to: &json)
        json.raw(","); json.key("reserved")
        Self.amounts(result.map { ($0.reserved.tokens, $0.reserved.costNanoUSD, $0.reserved.requests) }, to: &json)
        json.raw(","); json.key("source"); json.string(source.rawValue)
        json.raw(","); json.key("totals")
        if let totals = result?.totals {
            json.raw("{")
            Self.counts(totals.usage, to: &json) { json in
                json.raw(","); json.key("cost_nano_usd"); json.int(totals.costNanoUSD)
                json.raw(","); json.key("errors"); json.int(totals.errors)
                json.raw(","); json.key("estimated_requests"); json.int(totals.estimatedRequests)
            } between: { json in
                json.raw(","); json.key("requests"); json.int(totals.requests)
                json.raw(","); json.key("total_tokens"); json.int(totals.tokens)
                json.raw(","); json.key("unpriced_requests"); json.int(totals.unpricedRequests)
            }
            json.raw("}")
        } else {
            json.raw("null")
        }
        json.raw(","); json.key("usage")
        json.raw("{"); Self.counts(usage, to: &json, afterCached: { _ in }, between: { _ in }); json.raw("}")
        json.raw(","); json.key("user"); json.string(user)
        json.raw("}")
        return json.buffer
    }

    /// The `Prefer: return=minimal` form: whether the event was recorded (and why not), its id, its cost and
    /// the levels it left over a limit — `{"cost_nano_usd":…,"event_id":…,"over_limit":[…],"reason":…,"recorded":…}`
    /// (sorted keys; `reason` only for duplicates; `over_limit` null when recording is disabled).
    var minimalJSON: ByteBuffer {
        var json = JSONByteWriter(capacity: 160)
        json.raw("{"); json.key("cost_nano_usd"); json.int(costNanoUSD)
        json.raw(","); json.key("event_id"); json.string(eventID)
        json.raw(","); json.key("over_limit"); Self.overLimit(result, to: &json)
        if let reason { json.raw(","); json.key("reason"); json.string(reason) }
        json.raw(","); json.key("recorded"); json.bool(recorded)
        json.raw("}")
        return json.buffer
    }

    private static func overLimit(_ result: RecordResult?, to json: inout JSONByteWriter) {
        guard let result else { json.raw("null"); return }
        json.raw("[")
        for (index, level) in result.overLimit.enumerated() {
            if index > 0 { json.raw(",") }
            json.string(level.rawValue)
        }
        json.raw("]")
    }

    private static func amounts(_ amounts: (tokens: Int?, cost: Int?, requests: Int?)?, to json: inout JSONByteWriter) {
        guard let amounts else { json.raw("null"); return }
        json.raw("{"); json.key("cost_nano_usd"); json.int(amounts.cost)
        json.raw(","); json.key("requests"); json.int(amounts.requests)
        json.raw(","); json.key("tokens"); json.int(amounts.tokens)
        json.raw("}")
    }

    /// The token classes in sorted key order; `afterCached` writes the members sorting between
    /// `cached_input_tokens` and `input_tokens`, `between` those between `reasoning_tokens` and
    /// `web_search_requests` (the totals' extra members).
    private static func counts(
        _ usage: TokenUsage, to json: inout JSONByteWriter, afterCached: (inout JSONByteWriter) -> Void,
        between: (inout JSONByteWriter) -> Void
    ) {
        json.key("audio_input_tokens"); json.int(usage.audioInputTokens)
        json.raw(","); json.key("audio_output_tokens"); json.int(usage.audioOutputTokens)
        json.raw(","); json.key("cache_write_1h_tokens"); json.int(usage.cacheWrite1hTokens)
        json.raw(","); json.key("cache_write_tokens"); json.int(usage.cacheWriteTokens)
        json.raw(","); json.key("cached_input_tokens"); json.int(usage.cachedInputTokens)
        afterCached(&json)
        json.raw(","); json.key("input_tokens"); json.int(usage.inputTokens)
        json.raw(","); json.key("output_tokens"); json.int(usage.outputTokens)
        json.raw(","); json.key("reasoning_tokens"); json.int(usage.reasoningTokens)
        between(&json)
        json.raw(","); json.key("web_search_requests"); json.int(usage.webSearchRequests)
    }
}
