import Foundation
import TokenAccounting
import TokenQuota

/// A quota in responses: limits (with `cost_usd` as an exact decimal string), cycle policy, current cycle.
struct QuotaView: Encodable, Sendable {
    var tenant: String
    var user: String?
    var source: String?
    var config: QuotaConfig
    var now: Date

    enum CodingKeys: String, CodingKey { case tenant, user, source, limits, cycle }
    enum LimitKeys: String, CodingKey {
        case tokens, requests
        case costUSD = "cost_usd"
        case costNanoUSD = "cost_nano_usd"
    }
    enum CycleKeys: String, CodingKey {
        case anchorDay = "anchor_day"
        case timezone, current
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(tenant, forKey: .tenant)
        if let user { try c.encode(user, forKey: .user) }
        if let source { try c.encode(source, forKey: .source) }
        var limits = c.nestedContainer(keyedBy: LimitKeys.self, forKey: .limits)
        try limits.encode(config.limits.tokens, forKey: .tokens)
        try limits.encode(config.limits.costNanoUSD.map(DecimalUSD.string(fromNanoUSD:)), forKey: .costUSD)
        try limits.encode(config.limits.costNanoUSD, forKey: .costNanoUSD)
        try limits.encode(config.limits.requests, forKey: .requests)
        var cycle = c.nestedContainer(keyedBy: CycleKeys.self, forKey: .cycle)
        try cycle.encode(config.schedule.policy.anchorDay, forKey: .anchorDay)
        try cycle.encode(config.schedule.policy.timeZoneIdentifier, forKey: .timezone)
        try cycle.encode(CycleBody(config.schedule.cycle(containing: now)), forKey: .current)
    }
}
