import AsyncRedis
import TokenAccounting

/// Decoding stored totals (the cycle hash's fields, see ``QuotaKeys``) into ``UsageTotals``.
extension RedisQuotaRepository {
    /// Totals from the record script's HMGET, in the order of ``UsageField/totalsFields``.
    static func totals(fromFields values: [RedisReply]) -> UsageTotals {
        var map: [String: Int] = [:]
        for (field, value) in zip(UsageField.totalsFields, values) { map[field.rawValue] = value.int ?? 0 }
        return totals(from: map)
    }

    /// Totals from a field → value map (missing fields are zero).
    static func totals(from map: [String: Int]) -> UsageTotals {
        UsageField.totals { map[$0.rawValue] ?? 0 }
    }
}
