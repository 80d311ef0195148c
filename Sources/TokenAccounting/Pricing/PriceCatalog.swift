/// A list of model prices and the rules that find a model's price by name.
///
/// Names are matched case-insensitively, in this order (see ``match(model:provider:)``):
/// 1. the exact canonical name of an entry;
/// 2. an alias of an entry;
/// 3. the normalized name (provider prefixes, Bedrock region/vendor/version parts, Vertex `@` suffixes,
///    `-latest` and date suffixes removed), looked up as a name, an alias, or the normalized form of an
///    entry's name or alias;
/// 4. the longest such known name that is a prefix of the normalized name at a `-` boundary, **only when the
///    rest of the name names a snapshot of that model** (digits such as `-001` or `-2411`, date parts,
///    `-latest` or a reasoning-effort word; see ``ModelName/isSnapshotSuffix(_:)``): `gemini-2.0-flash-lite-001`
///    finds `gemini-2.0-flash-lite` and `o3-mini-high` finds `o3-mini`, but `gpt-4o-audio-preview`,
///    `gpt-4o-realtime-preview`, `gpt-4o-search-preview`, `gpt-4o-mini-tts` and
///    `gemini-2.5-flash-image-preview` never fall back to `gpt-4o`, `gpt-4o-mini` or `gemini-2.5-flash`: a
///    suffix naming a variant or modality makes a different model, priced only by an entry of its own.
///
/// Where steps 3 and 4 find several entries (a LiteLLM catalog has `gemini-2.5-pro` and
/// `gemini/gemini-2.5-pro`), the one whose provider equals the caller's wins, then the first in catalog order.
/// A model that matches nothing is not priced: ``cost(model:provider:usage:)`` then reports cost 0 with
/// `priced == false`, never a guessed default. Nor is a call that used a class (audio tokens, web searches)
/// its model has no price for.
public struct PriceCatalog: Sendable {
    /// One priced model.
    public struct Entry: Sendable, Hashable {
        /// The canonical model name.
        public var name: String
        /// The provider that charges these prices, if the catalog says.
        public var provider: Provider?
        /// Other exact names of the same model at the same price (for example dated snapshots).
        public var aliases: [String]
        /// The prices.
        public var price: ModelPrice
        /// The most output tokens one call of the model can generate, if the catalog says: what a reservation
        /// that names no output limit holds.
        public var maxOutputTokens: Int?

        /// Creates an entry.
        public init(name: String, provider: Provider? = nil, aliases: [String] = [], price: ModelPrice, maxOutputTokens: Int? = nil) {
            self.name = name
            self.provider = provider
            self.aliases = aliases
            self.price = price
            self.maxOutputTokens = maxOutputTokens
        }
    }

    /// The entries, in catalog order.
    public private(set) var entries: [Entry]
    private var byName: [String: Int] = [:]
    private var byAlias: [String: Int] = [:]
    private var byNormalized: [String: [Int]] = [:]

    /// An empty catalog, which prices nothing.
    public init() {
        self.entries = []
    }

    /// Creates a catalog from entries, checking them.
    ///
    /// - Throws: ``PricingError`` with code ``PricingError/Code/duplicateName`` when two entries share a
    ///   name, or an alias equals another entry's name or alias; ``PricingError/Code/invalidPrice`` for a
    ///   negative or too large price; ``PricingError/Code/invalidDocument`` for an empty name or alias or a
    ///   negative long-context threshold.
    public init(entries: [Entry]) throws(PricingError) {
        var owner: [String: String] = [:]
        for entry in entries {
            let name = ModelName.key(entry.name)
            guard !name.isEmpty else {
                throw PricingError(code: .invalidDocument, message: "a model has an empty name")
            }
            try entry.price.validate(model: entry.name)
            if let other = owner[name] {
                throw .forField(.duplicateName, model: entry.name, field: nil, "the name is already used by model \(other)")
            }
            owner[name] = entry.name
        }
        var cleaned = entries
        for index in cleaned.indices {
            var seen: Set<String> = [ModelName.key(cleaned[index].name)]
            var aliases: [String] = []
            for alias in cleaned[index].aliases {
                let key = ModelName.key(alias)
                guard !key.isEmpty else {
                    throw .forField(.invalidDocument, model: cleaned[index].name, field: "aliases", "an alias is empty")
                }
                guard seen.insert(key).inserted else { continue }
                if let other = owner[key] {
                    throw .forField(
                        .duplicateName, model: cleaned[index].name, field: "aliases",
                        "alias \(alias) is already used by model \(other)"
                    )
                }
                owner[key] = cleaned[index].name
                aliases.append(alias)
            }
            cleaned[index].aliases = aliases
        }
        self.init(checked: cleaned)
    }

    /// Builds the indexes of entries whose names and aliases are known not to collide.
    private init(checked entries: [Entry]) {
        self.entries = entries
        for (index, entry) in entries.enumerated() {
            byName[ModelName.key(entry.name)] = index
            byNormalized[ModelName.normalize(entry.name), default: []].append(index)
            for alias in entry.aliases {
                byAlias[ModelName.key(alias)] = index
                let normalized = ModelName.normalize(alias)
                if byNormalized[normalized]?.last != index {
                    byNormalized[normalized, default: []].append(index)
                }
            }
        }
    }

    /// The entry whose canonical name or alias is `name` (case-insensitive), without normalization.
    public func entry(named name: String) -> Entry? {
        let key = ModelName.key(name)
        guard let index = byName[key] ?? byAlias[key] else { return nil }
        return entries[index]
    }

    /// Finds the price of `model`, following the matching order described on ``PriceCatalog``.
    ///
    /// - Parameters:
    ///   - model: The model name as a provider or caller reported it.
    ///   - provider: The provider that served the call; it only chooses between entries that match equally.
    /// - Returns: The match, or `nil` when the model is unknown.
    public func match(model: String, provider: Provider? = nil) -> PriceMatch? {
        let key = ModelName.key(model)
        guard !key.isEmpty else { return nil }
        if let index = byName[key] { return makeMatch(index, .exact) }
        if let index = byAlias[key] { return makeMatch(index, .alias) }

        let normalized = ModelName.normalize(model)
        if let index = bestCandidate(for: normalized, provider: provider) {
            return makeMatch(index, .normalized)
        }
        // Longest prefix first. Stop at the first part that can never be part of a snapshot suffix, since
        // every shorter prefix's suffix contains it too.
        var end = normalized.endIndex
        while let dash = normalized[..<end].lastIndex(of: "-"), dash > normalized.startIndex {
            guard ModelName.mayBeSnapshotPart(normalized[normalized.index(after: dash)..<end]) else { return nil }
            let suffix = normalized[normalized.index(after: dash)...]
            if ModelName.isSnapshotSuffix(suffix), let index = bestCandidate(for: String(normalized[..<dash]), provider: provider) {
                return makeMatch(index, .prefix)
            }
            end = dash
        }
        return nil
    }

    /// The price of `model`, if the catalog has one (the entry ``match(model:provider:)`` finds).
    ///
    /// - Parameters:
    ///   - model: The model name as a provider or caller reported it; `nil` or empty has no price.
    ///   - provider: The provider that served the call; it only chooses between entries that match equally.
    public func price(for model: String?, provider: Provider? = nil) -> ModelPrice? {
        guard let model else { return nil }
        return match(model: model, provider: provider)?.price
    }

    /// Whether the catalog can price `model`, and, when `usage` is given, that call: a model without an audio
    /// or web-search price cannot price a call that used audio tokens or web searches.
    ///
    /// This is what an "unpriced models" policy asks before accepting a call; ``cost(model:provider:usage:)``
    /// reports `priced == false` exactly when this is `false` for the same arguments.
    public func isPriced(model: String?, provider: Provider? = nil, usage: TokenUsage? = nil) -> Bool {
        guard let price = price(for: model, provider: provider) else { return false }
        guard let usage else { return true }
        return price.pricedCost(of: usage) != nil
    }

    /// Prices one call.
    ///
    /// - Returns: The exact cost in nano-USD when the model is known and has a price for every class the
    ///   call used; otherwise cost 0 with `priced == false` (``CostResult/unpriced`` for an unknown model; for
    ///   a known model without an audio or web-search price the call needs, `matchedModel` names the entry).
    ///   A call without a model name is unpriced.
    public func cost(model: String?, provider: Provider?, usage: TokenUsage) -> CostResult {
        guard let model, let match = match(model: model, provider: provider) else { return .unpriced }
        guard let cost = match.price.pricedCost(of: usage) else {
            return CostResult(nanoUSD: 0, priced: false, matchedModel: match.matchedName)
        }
        return CostResult(nanoUSD: cost, priced: true, matchedModel: match.matchedName)
    }

    /// This catalog with `other`'s entries laid over it: `other` wins.
    ///
    /// An entry of `other` replaces an entry of this catalog with the same name, and one whose name is an
    /// alias of `other`'s; aliases of this catalog that `other` uses for itself are dropped. Entries keep
    /// this catalog's order, `other`'s new entries follow in their order.
    public func merging(_ other: PriceCatalog) -> PriceCatalog {
        let taken = Set(other.byName.keys).union(other.byAlias.keys)
        var merged: [Entry] = []
        for var entry in entries where !taken.contains(ModelName.key(entry.name)) {
            entry.aliases.removeAll { taken.contains(ModelName.key($0)) }
            merged.append(entry)
        }
        merged.append(contentsOf: other.entries)
        return PriceCatalog(checked: merged)
    }

    private func makeMatch(_ index: Int, _ how: PriceMatch.Kind) -> PriceMatch {
        let entry = entries[index]
        return PriceMatch(price: entry.price, matchedName: entry.name, provider: entry.provider, how: how, maxOutputTokens: entry.maxOutputTokens)
    }

    /// The entry a normalized name stands for: an entry with this name or alias, or whose normalized name or
    /// alias it is; among several, the caller's provider's, else the first.
    private func bestCandidate(for normalized: String, provider: Provider?) -> Int? {
        var candidates: [Int] = []
        if let index = byName[normalized] { candidates.append(index) }
        if let index = byAlias[normalized] { candidates.append(index) }
        candidates.append(contentsOf: byNormalized[normalized] ?? [])
        if let provider, let index = candidates.first(where: { entries[$0].provider == provider }) {
            return index
        }
        return candidates.first
    }
}
