public import HTTPTypes

/// The `return` preference of a request (RFC 7240 `Prefer: return=minimal` / `return=representation`).
///
/// `POST …/usage` and `POST …/reservations/{id}/commit` honour `minimal` (answering a small body and
/// `Preference-Applied: return=minimal`); everything else answers the full representation.
public enum ReturnPreference: Sendable, Hashable {
    /// The full body (the default).
    case representation
    /// A minimal body.
    case minimal

    /// The `Prefer` request header.
    public static let preferHeader = HTTPField.Name("Prefer")!
    /// The `Preference-Applied` response header.
    public static let appliedHeader = HTTPField.Name("Preference-Applied")!

    /// The first `return` preference among all `Prefer` fields (RFC 7240 §2: preference names are
    /// case-insensitive, values may be quoted, parameters after `;` are ignored); `representation` when none.
    public init(_ fields: HTTPFields) {
        self = .representation
        guard fields.contains(Self.preferHeader) else { return }
        for field in fields[fields: Self.preferHeader] {
            for preference in field.value.split(separator: ",") {
                let token = preference.prefix { $0 != ";" }
                let parts = token.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard Self.trimmed(parts[0]).lowercased() == "return" else { continue }
                var value = parts.count == 2 ? Self.trimmed(parts[1]) : ""
                if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = value.dropFirst().dropLast() }
                self = value.lowercased() == "minimal" ? .minimal : .representation
                return
            }
        }
    }

    private static func trimmed(_ text: Substring) -> Substring {
        let isText: (Character) -> Bool = { $0 != " " && $0 != "\t" }
        guard let first = text.firstIndex(where: isText), let last = text.lastIndex(where: isText) else { return "" }
        return text[first...last]
    }
}
