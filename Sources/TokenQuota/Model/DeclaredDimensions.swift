/// The rules for the metadata keys a tenant declares as dimensions (`q:{t}:dims`): only these keys become
/// fields of the event stream, InfluxDB tags and cycle report rows.
public enum DeclaredDimensions {
    /// The most dimensions a tenant may declare.
    public static let maximumCount = 20

    /// Checks a declaration (each name per `Identifier.validateDimensionName(_:)`: 1–64 characters of
    /// `A-Z a-z 0-9 . _ -`) and returns it without duplicates, sorted.
    ///
    /// - Throws: ``QuotaError/Code/invalidArgument`` for a bad name or more than ``maximumCount`` names.
    public static func normalized(_ names: [String]) throws(QuotaError) -> [String] {
        for name in names { try Identifier.validateDimensionName(name) }
        let unique = Set(names).sorted()
        guard unique.count <= maximumCount else {
            throw QuotaError(.invalidArgument, "a tenant declares at most \(maximumCount) dimensions (got \(unique.count))")
        }
        return unique
    }
}
