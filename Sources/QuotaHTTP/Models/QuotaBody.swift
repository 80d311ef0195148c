import Foundation
package import TokenAccounting
package import TokenQuota

/// The body of every quota `PUT` (user, group, tenant aggregate, tenant default):
/// `{"limits":{"tokens":N|null,"cost_usd":"12.50"|null,"requests":N|null},
///   "rate":{"tokens_per_minute":N|null,"requests_per_minute":N|null,…_per_hour,…_per_day},
///   "cycle":{"anchor_day":1,"timezone":"UTC"},"group":"<id>"|null,"alerts":{"thresholds_percent":[50,80,100]}}`
///   — `group` in user quotas only; `alerts` absent = no threshold alerts.
/// `limits` absent or `null` = no cycle limits (unknown keys anywhere are still refused, so a typo such as
/// `"limit"` is a 400, never "unlimited"); `rate` absent = no window limits.
package struct QuotaBody: StrictJSONBody, Sendable {
    package struct Limits: Decodable, Sendable {
        package var tokens: Int?
        package var costUSD: String?
        package var costNanoUSD: Int?
        package var requests: Int?
        package init(tokens: Int?, costUSD: String?, costNanoUSD: Int?, requests: Int?) {
            self.tokens = tokens
            self.costUSD = costUSD
            self.costNanoUSD = costNanoUSD
            self.requests = requests
        }
        package enum CodingKeys: String, CodingKey, CaseIterable {
            case tokens, requests
            case costUSD = "cost_usd"
            case costNanoUSD = "cost_nano_usd"
        }
    }
    package struct Cycle: Decodable, Sendable {
        package var anchorDay: Int?
        package var timezone: String?
        package init(anchorDay: Int?, timezone: String?) {
            self.anchorDay = anchorDay
            self.timezone = timezone
        }
        package enum CodingKeys: String, CodingKey, CaseIterable {
            case anchorDay = "anchor_day"
            case timezone
        }
    }

    package struct Alerts: Decodable, Sendable {
        package var thresholdsPercent: [Int]
        package init(thresholdsPercent: [Int]) { self.thresholdsPercent = thresholdsPercent }
        package enum CodingKeys: String, CodingKey, CaseIterable {
            case thresholdsPercent = "thresholds_percent"
        }
    }

    package var limits: Limits?
    package var rate: RateBody?
    package var cycle: Cycle?
    package var group: String?
    package var alerts: Alerts?

    /// A body as the dashboard's quota form posts it (through the same validation as the API's).
    package init(limits: Limits?, rate: RateBody?, cycle: Cycle?, group: String?, alerts: Alerts?) {
        self.limits = limits
        self.rate = rate
        self.cycle = cycle
        self.group = group
        self.alerts = alerts
    }

    package static let keySchema: JSONKeySchema = .object([
        "limits": .keys(Limits.CodingKeys.allCases.map(\.rawValue), integers: ["tokens", "requests", "cost_nano_usd"]),
        "rate": .keys(RateBody.CodingKeys.allCases.map(\.rawValue), integers: Set(RateBody.CodingKeys.allCases.map(\.rawValue))),
        "cycle": .keys(Cycle.CodingKeys.allCases.map(\.rawValue), integers: ["anchor_day"]),
        "group": .any,
        "alerts": .keys(Alerts.CodingKeys.allCases.map(\.rawValue)),
    ])

    /// The quota this body describes (the schedule keeps `existing` when the body names no cycle).
    /// `allowsGroup` is true for user quotas only.
    package func config(keeping existing: CycleSchedule, allowsGroup: Bool) throws(APIError) -> QuotaConfig {
        if group != nil && !allowsGroup { throw APIError.badRequest("'group' is only part of a user's quota") }
        if let group {
            do { try Identifier.validateName(group, field: "group") } catch { throw APIError(error) }
        }
        return QuotaConfig(
            limits: try quotaLimits(), rate: try rate?.rateLimits() ?? .none, schedule: try schedule(keeping: existing), group: group,
            alertThresholds: try alertThresholds()
        )
    }

    /// The alert thresholds: 1…100 percent, at most 10, each once (sorted).
    package func alertThresholds() throws(APIError) -> [Int] {
        guard let thresholds = alerts?.thresholdsPercent else { return [] }
        if thresholds.count > 10 {
            throw APIError.badRequest("alerts.thresholds_percent holds at most 10 thresholds (got \(thresholds.count))")
        }
        if let bad = thresholds.first(where: { !(1...100).contains($0) }) {
            throw APIError.badRequest("alerts.thresholds_percent must hold percents between 1 and 100 (got \(bad))")
        }
        if Set(thresholds).count != thresholds.count {
            throw APIError.badRequest("alerts.thresholds_percent holds a threshold twice")
        }
        return thresholds.sorted()
    }

    /// The limits, validated: non-negative counts, `cost_usd` an exact decimal (≤ 9 fractional digits).
    package func quotaLimits() throws(APIError) -> QuotaLimits {
        guard let limits else { return QuotaLimits() }
        if let tokens = limits.tokens, tokens < 0 { throw APIError.badRequest("limits.tokens must not be negative") }
        if let requests = limits.requests, requests < 0 { throw APIError.badRequest("limits.requests must not be negative") }
        var cost: Int?
        switch (limits.costUSD, limits.costNanoUSD) {
        case (.some, .some):
            throw APIError.badRequest("give either limits.cost_usd or limits.cost_nano_usd, not both")
        case (.some(let text), nil):
            guard let nano = DecimalUSD.nanoUSD(from: text) else {
                throw APIError.badRequest(
                    "limits.cost_usd must be a non-negative decimal string with at most 9 fractional digits, e.g. \"12.50\" (got \"\(text.prefix(40))\")"
                )
            }
            cost = nano
        case (nil, .some(let nano)):
            guard nano >= 0 else { throw APIError.badRequest("limits.cost_nano_usd must not be negative") }
            cost = nano
        case (nil, nil):
            cost = nil
        }
        return QuotaLimits(tokens: limits.tokens, costNanoUSD: cost, requests: limits.requests)
    }

    /// The schedule: the given cycle policy, or `existing` when the body names no cycle.
    package func schedule(keeping existing: CycleSchedule) throws(APIError) -> CycleSchedule {
        guard let cycle else { return existing }
        do {
            let policy = try CyclePolicy(
                anchorDay: cycle.anchorDay ?? existing.policy.anchorDay,
                timeZoneIdentifier: cycle.timezone ?? existing.policy.timeZoneIdentifier
            )
            if policy == existing.policy { return existing }
            return CycleSchedule(policy: policy)
        } catch {
            throw APIError(error)
        }
    }
}

