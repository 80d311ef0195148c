import QuotaStores
import QuotaHTTP
import Foundation
import Hummingbird

/// The fields of an `application/x-www-form-urlencoded` form body (the last value of a repeated field wins).
struct DashboardForm: Sendable {
    /// The largest form body accepted.
    static let maximumBytes = 65_536

    /// The fields.
    var fields: [String: String]

    /// The value of a field (nil when absent).
    subscript(_ name: String) -> String? { fields[name] }

    /// Parses `a=1&b=x+y%21`; malformed percent-encoding keeps the raw text.
    init(encoded: String) {
        var fields: [String: String] = [:]
        for pair in encoded.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(parts[0])
            fields[name] = parts.count > 1 ? Self.decode(parts[1]) : ""
        }
        self.fields = fields
    }

    /// Reads and parses a request's form body (`413` beyond ``maximumBytes``).
    static func read(_ request: Request) async throws -> DashboardForm {
        let buffer = try await request.body.collect(upTo: maximumBytes)
        return DashboardForm(encoded: String(buffer: buffer))
    }

    static func decode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    /// Percent-encodes a query value (everything but unreserved characters).
    static func encode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}
