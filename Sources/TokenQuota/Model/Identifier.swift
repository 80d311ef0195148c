/// Validates tenant, user, group, event, reservation and model identifiers before they become parts of
/// Redis keys and rows.
///
/// Tenant ids: 1–128 characters of `A-Z a-z 0-9 . _ @ -` (the tenant is the keys' hash tag, `{tenant}`).
/// User and group ids: 1–256 bytes of UTF-8 text without control characters, `:` (quotad's key separator)
/// or `|` (its row separator) — e-mail addresses (`ann+test@example.com`), spaces, `/` and any script; in
/// paths they are percent-encoded (`%2B`, `%20`, `%2F`). Event ids: `A-Z a-z 0-9 . _ @ - : /`, up to 200
/// characters; reservation ids are event ids or quotad's `res:<user>:<event id>`.
public enum Identifier {
    /// Checks a tenant id.
    public static func validateTenant(_ value: String) throws(QuotaError) {
        guard (1...128).contains(value.utf8.count), value.utf8.allSatisfy(isNameByte) else {
            throw QuotaError(.invalidArgument, "tenant must be 1-128 characters of A-Z a-z 0-9 . _ @ - (got \(quoted(value)))")
        }
    }

    /// The longest user or group id, in UTF-8 bytes.
    public static let maximumNameLength = 256

    /// Checks a user or group id (`field` names it in the error).
    public static func validateName(_ value: String, field: String) throws(QuotaError) {
        guard (1...maximumNameLength).contains(value.utf8.count) else {
            throw QuotaError(.invalidArgument, "\(field) must be 1-\(maximumNameLength) bytes of UTF-8 text (got \(value.utf8.count) bytes)")
        }
        for scalar in value.unicodeScalars {
            if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                throw QuotaError(.invalidArgument, "\(field) must not contain control characters (got \(quoted(value.debugDescription)))")
            }
            if scalar == ":" || scalar == "|" {
                throw QuotaError(
                    .invalidArgument,
                    "\(field) must not contain ':' or '|' (quotad's key and row separators; got \(quoted(value)))")
            }
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

    /// Checks a reservation id: an event id, or a granted `res:<user>:<event id>` (which is also the event id
    /// of a commit that names none).
    public static func validateReservationID(_ value: String, field: String = "reservation_id") throws(QuotaError) {
        if ReservationID.owner(of: value) != nil { return }
        try validateEventID(value, field: field)
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
