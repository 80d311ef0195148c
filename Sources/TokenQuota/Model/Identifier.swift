/// Validates tenant, user, event, reservation and model identifiers before they become parts of Redis keys.
///
/// Tenant and user ids: 1–128 characters of `A-Z a-z 0-9 . _ @ -` (so no `{`, `}`, `:` or `/` can change
/// a key's hash tag or shape). Event and reservation ids additionally allow `:` and `/`, up to 200 characters.
public enum Identifier {
    /// Checks a tenant or user id.
    public static func validateName(_ value: String, field: String) throws(QuotaError) {
        guard (1...128).contains(value.utf8.count), value.utf8.allSatisfy(isNameByte) else {
            throw QuotaError(.invalidArgument, "\(field) must be 1-128 characters of A-Z a-z 0-9 . _ @ - (got \(quoted(value)))")
        }
    }

    /// The longest event or reservation id.
    public static let maximumEventIDLength = 200

    /// Checks an event or reservation id.
    public static func validateEventID(_ value: String, field: String) throws(QuotaError) {
        guard (1...maximumEventIDLength).contains(value.utf8.count), value.utf8.allSatisfy({ isNameByte($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "/") }) else {
            throw QuotaError(.invalidArgument, "\(field) must be 1-200 characters of A-Z a-z 0-9 . _ @ - : / (got \(quoted(value)))")
        }
    }

    /// Checks a model name (it becomes a hash field): 1–200 printable ASCII characters without `|`.
    public static func validateModel(_ value: String) throws(QuotaError) {
        guard (1...200).contains(value.utf8.count), value.utf8.allSatisfy({ $0 > 32 && $0 < 127 && $0 != UInt8(ascii: "|") }) else {
            throw QuotaError(.invalidArgument, "model must be 1-200 printable ASCII characters without spaces or '|' (got \(quoted(value)))")
        }
    }

    /// Whether a metadata key can be a declared dimension: 1–64 characters of `A-Z a-z 0-9 . _ -`.
    public static func isDimensionName(_ value: String) -> Bool {
        (1...64).contains(value.utf8.count) && value.utf8.allSatisfy { isNameByte($0) && $0 != UInt8(ascii: "@") }
    }

    /// Checks a dimension name (see ``isDimensionName(_:)``).
    public static func validateDimensionName(_ value: String) throws(QuotaError) {
        guard isDimensionName(value) else {
            throw QuotaError(.invalidArgument, "dimension names must be 1-64 characters of A-Z a-z 0-9 . _ - (got \(quoted(value)))")
        }
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "@"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    private static func quoted(_ value: String) -> String {
        let shown = value.count > 40 ? String(value.prefix(40)) + "…" : value
        return "'\(shown)'"
    }
}
