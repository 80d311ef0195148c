import Foundation
import TokenQuota

/// An explicit usage reset, as answered by `POST …/usage/reset` and listed in a report's `resets`:
/// `{"user","at","by","tokens","cost_nano_usd","cost_usd"}`.
struct UsageResetBody: Encodable {
    var reset: UsageReset

    init(_ reset: UsageReset) { self.reset = reset }

    enum CodingKeys: String, CodingKey {
        case user, at, by, tokens
        case costNanoUSD = "cost_nano_usd"
        case costUSD = "cost_usd"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(reset.user, forKey: .user)
        try c.encode(ISO8601DateFormatter().string(from: reset.at), forKey: .at)
        try c.encode(reset.by, forKey: .by)
        try c.encode(reset.tokens, forKey: .tokens)
        try c.encode(reset.costNanoUSD, forKey: .costNanoUSD)
        try c.encode(DecimalUSD.string(fromNanoUSD: reset.costNanoUSD), forKey: .costUSD)
    }
}
