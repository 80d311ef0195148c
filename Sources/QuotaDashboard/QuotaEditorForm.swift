import QuotaStores
import QuotaHTTP
import Foundation
import TokenAccounting
import TokenQuota

/// The quota editor's fields, as shown (from a stored quota, or as the user typed them after an error)
/// and as posted. Posting turns them into a ``QuotaBody`` and through the same validation as the API's
/// `PUT …/quota`, so the messages are the API's.
struct QuotaEditorForm: Sendable {
    /// One text field.
    struct Field: Sendable {
        var name: String
        var label: String
        var hint: String
        var value: String
    }

    /// Where the form posts.
    var action: String
    /// The CSRF token (hidden field).
    var csrf: String
    /// The limits and windows fields.
    var limits: [Field]
    var rate: [Field]
    /// Cycle, group and alerts fields.
    var cycle: [Field]
    /// The validation error of the last post, if any.
    var error: String?

    static let limitFields: [(String, String, String)] = [
        ("tokens", "Tokens per cycle", "input + output tokens; empty = no limit"),
        ("cost_usd", "Spend per cycle (USD)", "exact decimal, e.g. 12.50; empty = no limit"),
        ("requests", "Requests per cycle", "empty = no limit"),
    ]
    static let rateFields: [(String, String, String)] = [
        ("tokens_per_minute", "Tokens per minute", ""), ("requests_per_minute", "Requests per minute", ""),
        ("tokens_per_hour", "Tokens per hour", ""), ("requests_per_hour", "Requests per hour", ""),
        ("tokens_per_day", "Tokens per day", ""), ("requests_per_day", "Requests per day", ""),
    ]

    /// The form for a stored quota.
    init(action: String, csrf: String, config: QuotaConfig, showsGroup: Bool) {
        let rate = config.rate
        var values: [String: String] = [
            "tokens": config.limits.tokens.map(String.init) ?? "",
            "cost_usd": config.limits.costNanoUSD.map(DecimalUSD.string(fromNanoUSD:)) ?? "",
            "requests": config.limits.requests.map(String.init) ?? "",
            "tokens_per_minute": rate.tokensPerMinute.map(String.init) ?? "", "requests_per_minute": rate.requestsPerMinute.map(String.init) ?? "",
            "tokens_per_hour": rate.tokensPerHour.map(String.init) ?? "", "requests_per_hour": rate.requestsPerHour.map(String.init) ?? "",
            "tokens_per_day": rate.tokensPerDay.map(String.init) ?? "", "requests_per_day": rate.requestsPerDay.map(String.init) ?? "",
            "anchor_day": String(config.schedule.policy.anchorDay), "timezone": config.schedule.policy.timeZoneIdentifier,
            "thresholds": config.alertThresholds.map(String.init).joined(separator: ", "),
        ]
        if showsGroup { values["group"] = config.group ?? "" }
        self.init(action: action, csrf: csrf, values: values, showsGroup: showsGroup, error: nil)
    }

    /// The form as posted (values kept for re-display).
    init(action: String, csrf: String, values: [String: String], showsGroup: Bool, error: String?) {
        func field(_ spec: (String, String, String)) -> Field {
            Field(name: spec.0, label: spec.1, hint: spec.2, value: values[spec.0] ?? "")
        }
        self.action = action
        self.csrf = csrf
        self.limits = Self.limitFields.map(field)
        self.rate = Self.rateFields.map(field)
        var cycle = [
            field(("anchor_day", "Cycle anchor day", "1–31: the day of the month the cycle starts")),
            field(("timezone", "Time zone", "IANA name, e.g. Europe/Berlin")),
        ]
        if showsGroup { cycle.append(field(("group", "Group", "group id; empty = none"))) }
        cycle.append(field(("thresholds", "Alert thresholds (%)", "comma-separated, e.g. 50, 80, 100; empty = none")))
        self.cycle = cycle
        self.error = error
    }

    /// The API body the posted `values` describe.
    ///
    /// - Throws: `400` with the API's message for a field that is not a whole number (as JSON decoding
    ///   would refuse it); the rest is validated by ``QuotaBody/config(keeping:allowsGroup:)``.
    static func body(_ values: [String: String], showsGroup: Bool) throws(APIError) -> QuotaBody {
        func text(_ name: String) -> String? {
            let value = (values[name] ?? "").trimmingCharacters(in: .whitespaces)
            return value.isEmpty ? nil : value
        }
        func number(_ name: String, _ path: String) throws(APIError) -> Int? {
            guard let value = text(name) else { return nil }
            guard let number = Int(value.replacingOccurrences(of: ",", with: "").replacingOccurrences(of: "_", with: "")) else {
                throw APIError.badRequest("\(path) must be a whole number (got \"\(value.prefix(40))\")")
            }
            return number
        }
        var rate = RateBody(.none)
        rate.tokensPerMinute = try number("tokens_per_minute", "rate.tokens_per_minute")
        rate.requestsPerMinute = try number("requests_per_minute", "rate.requests_per_minute")
        rate.tokensPerHour = try number("tokens_per_hour", "rate.tokens_per_hour")
        rate.requestsPerHour = try number("requests_per_hour", "rate.requests_per_hour")
        rate.tokensPerDay = try number("tokens_per_day", "rate.tokens_per_day")
        rate.requestsPerDay = try number("requests_per_day", "rate.requests_per_day")
        var thresholds: [Int]?
        if let list = text("thresholds") {
            var parsed: [Int] = []
            for part in list.split(separator: ",") {
                let item = part.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "%", with: "")
                guard let value = Int(item) else {
                    throw APIError.badRequest("alerts.thresholds_percent must hold whole percents (got \"\(item.prefix(40))\")")
                }
                parsed.append(value)
            }
            thresholds = parsed
        }
        let cost = text("cost_usd").map { $0.hasPrefix("$") ? String($0.dropFirst()) : $0 }
        return QuotaBody(
            limits: QuotaBody.Limits(
                tokens: try number("tokens", "limits.tokens"), costUSD: cost, costNanoUSD: nil, requests: try number("requests", "limits.requests")
            ),
            rate: rate, cycle: QuotaBody.Cycle(anchorDay: try number("anchor_day", "cycle.anchor_day"), timezone: text("timezone")),
            group: showsGroup ? text("group") : nil, alerts: thresholds.map { QuotaBody.Alerts(thresholdsPercent: $0) }
        )
    }
}
