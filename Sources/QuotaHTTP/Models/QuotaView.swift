package import Foundation
import TokenAccounting
package import TokenQuota

/// A quota in responses: level, limits (with `cost_usd` as an exact decimal string), rolling-window limits,
/// cycle policy and current cycle, and a user's group.
package struct QuotaView: Encodable, Sendable {
    package var tenant: String
    package var level: String
    package var user: String?
    package var groupID: String?
    package var source: String?
    package var config: QuotaConfig
    package var now: Date

    package init(tenant: String, level: String, user: String? = nil, group: String? = nil, source: String? = nil, config: QuotaConfig, now: Date) {
        self.tenant = tenant
        self.level = level
        self.user = user
        self.groupID = group
        self.source = source
        self.config = config
        self.now = now
    }

    package enum CodingKeys: String, CodingKey { case tenant, level, user, group, source, limits, rate, cycle, alerts }
    package enum AlertKeys: String, CodingKey {
        case thresholdsPercent = "thresholds_percent"
    }
    package enum LimitKeys: String, CodingKey {
        case tokens, requests
        case costUSD = "cost_usd"
        case costNanoUSD = "cost_nano_usd"
    }
    package enum CycleKeys: String, CodingKey {
        case anchorDay = "anchor_day"
        case timezone, current
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(tenant, forKey: .tenant)
        try c.encode(level, forKey: .level)
        if let user {
            try c.encode(user, forKey: .user)
            try c.encode(config.group, forKey: .group)
        }
        if let groupID { try c.encode(groupID, forKey: .group) }
        if let source { try c.encode(source, forKey: .source) }
        var limits = c.nestedContainer(keyedBy: LimitKeys.self, forKey: .limits)
        try limits.encode(config.limits.tokens, forKey: .tokens)
        try limits.encode(config.limits.costNanoUSD.map(DecimalUSD.string(fromNanoUSD:)), forKey: .costUSD)
        try limits.encode(config.limits.costNanoUSD, forKey: .costNanoUSD)
        try limits.encode(config.limits.requests, forKey: .requests)
        try c.encode(RateBody(config.rate), forKey: .rate)
        var cycle = c.nestedContainer(keyedBy: CycleKeys.self, forKey: .cycle)
        try cycle.encode(config.schedule.policy.anchorDay, forKey: .anchorDay)
        try cycle.encode(config.schedule.policy.timeZoneIdentifier, forKey: .timezone)
        try cycle.encode(CycleBody(config.schedule.cycle(containing: now)), forKey: .current)
        var alerts = c.nestedContainer(keyedBy: AlertKeys.self, forKey: .alerts)
        try alerts.encode(config.alertThresholds, forKey: .thresholdsPercent)
    }
}
