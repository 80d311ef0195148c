/// The catalog entry a model name resolved to, and how it was found.
public struct PriceMatch: Sendable, Hashable {
    /// Which step of the matching order found the entry.
    public enum Kind: String, Sendable, Hashable, Codable {
        /// The name is the entry's canonical name (case-insensitive).
        case exact
        /// The name is one of the entry's aliases.
        case alias
        /// The name matched after removing provider prefixes, Bedrock decorations and date suffixes.
        case normalized
        /// The entry's name is the longest known prefix of the normalized name at a `-` boundary, and the rest of
        /// the name only names a snapshot (see ``PriceCatalog``).
        case prefix
    }

    /// The price of the matched entry.
    public var price: ModelPrice
    /// The matched entry's canonical name, as the catalog spells it.
    public var matchedName: String
    /// The matched entry's provider, if the catalog names one.
    public var provider: Provider?
    /// How the entry was found.
    public var how: Kind
    /// The matched entry's most output tokens per call, if the catalog says.
    public var maxOutputTokens: Int?

    /// Creates a match.
    public init(price: ModelPrice, matchedName: String, provider: Provider? = nil, how: Kind, maxOutputTokens: Int? = nil) {
        self.price = price
        self.matchedName = matchedName
        self.provider = provider
        self.how = how
        self.maxOutputTokens = maxOutputTokens
    }
}
