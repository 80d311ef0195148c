import AsyncRedis
import TokenAccounting

/// Decoding stored totals (the cycle hash's fields, see ``QuotaKeys``) into ``UsageTotals``.
extension RedisQuotaRepository {
    /// Totals from the record script's HMGET, in the order of ``QuotaScripts/totalsFields``.
    static func totals(fromFields values: [RedisReply]) -> UsageTotals {
        var map: [String: Int] = [:]
        for (name, value) in zip(QuotaScripts.totalsFields, values) { map[name] = value.int ?? 0 }
        return totals(from: map)
    }

    /// Totals from a field → value map (missing fields are zero).
    static func totals(from map: [String: Int]) -> UsageTotals {
        UsageTotals(
            usage: TokenUsage(
                inputTokens: map["in"] ?? 0, cachedInputTokens: map["cin"] ?? 0, cacheWriteTokens: map["cw"] ?? 0,
                cacheWrite1hTokens: map["cw1"] ?? 0, outputTokens: map["out"] ?? 0, reasoningTokens: map["rsn"] ?? 0,
                audioInputTokens: map["ain"] ?? 0, audioOutputTokens: map["aout"] ?? 0, webSearchRequests: map["wsr"] ?? 0
            ),
            requests: map["req"] ?? 0, errors: map["err"] ?? 0, costNanoUSD: map["cost"] ?? 0,
            unpricedRequests: map["unp"] ?? 0, estimatedRequests: map["est"] ?? 0
        )
    }
}
