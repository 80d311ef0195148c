/// The cost of one call as priced by a ``PriceCatalog``.
public struct CostResult: Sendable, Hashable, Codable {
    /// The cost in nano-USD (10⁻⁹ USD); 0 when the model is not priced.
    public var nanoUSD: Int
    /// Whether the model was found in the catalog. An unpriced call has cost 0 and must be reported as
    /// unpriced, never as free.
    public var priced: Bool
    /// The canonical name of the catalog entry found, if any (also when it had no price for a class the call
    /// used, so `priced` is `false`).
    public var matchedModel: String?

    /// Creates a result.
    public init(nanoUSD: Int, priced: Bool, matchedModel: String?) {
        self.nanoUSD = nanoUSD
        self.priced = priced
        self.matchedModel = matchedModel
    }

    /// The result for a model the catalog does not know.
    public static let unpriced = CostResult(nanoUSD: 0, priced: false, matchedModel: nil)

    enum CodingKeys: String, CodingKey {
        case nanoUSD = "nano_usd"
        case priced
        case matchedModel = "matched_model"
    }
}
