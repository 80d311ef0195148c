/// `GET|PUT …/dimensions`: `{"dimensions":["conversation_id","feature"]}`, the metadata keys the tenant
/// declares as dimensions.
public struct DimensionsBody: Sendable, Codable, StrictJSONBody {
    /// The dimension names.
    public var dimensions: [String]

    /// Creates a body.
    public init(dimensions: [String]) { self.dimensions = dimensions }

    /// Only `dimensions`.
    public static let keySchema: JSONKeySchema = .keys(["dimensions"])
}
