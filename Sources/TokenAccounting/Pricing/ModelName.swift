import Foundation

/// Normalization of model names for price matching (step 3 of ``PriceCatalog/match(model:provider:)``).
///
/// The rules are deliberately conservative: they only remove decorations whose meaning is certain.
/// - lower-case and trim;
/// - an AWS ARN or a Vertex resource path (`arn:...`, `projects/...`) keeps only its last `/` component;
/// - leading provider path segments are removed (`openai/`, `anthropic/`, `gemini/`, `vertex_ai/`,
///   `bedrock/`, `azure/`, `models/`, `openrouter/`, ...);
/// - Bedrock ids lose a region prefix (`us.`, `eu.`, `apac.`, `global.`, ...) when a vendor prefix follows,
///   the vendor prefix (`anthropic.`, `amazon.`, `meta.`, ...) and then a `-v1:0` / `-v2` version suffix;
///   a `-vN:M` suffix is removed from any name;
/// - a Vertex `@...` suffix is removed (`claude-3-5-sonnet@20240620`);
/// - `-latest` is removed, then one date suffix: `-YYYY-MM-DD` or `-YYYYMMDD` (a plausible 20xx date).
///
/// Suffixes such as `-001` are left alone here: the prefix step of the catalog handles them, under the rule of
/// ``isSnapshotSuffix(_:)``.
enum ModelName {
    /// Path segments that name a provider or API route rather than a model.
    static let providerSegments: Set<String> = [
        "openai", "azure", "azure_ai", "azure_openai", "anthropic", "bedrock", "bedrock_converse", "aws_bedrock",
        "converse", "invoke", "vertex_ai", "vertex_ai_beta", "vertex_ai-language-models",
        "vertex_ai-anthropic_models", "gemini", "google", "google_gemini", "models", "publishers", "mistral",
        "openrouter", "text-completion-openai", "openai_compatible",
    ]
    /// Bedrock cross-region inference-profile prefixes.
    static let bedrockRegions: Set<String> = ["us", "eu", "apac", "global", "us-gov", "jp", "au", "ca"]
    /// Bedrock model-vendor prefixes.
    static let bedrockVendors: Set<String> = [
        "anthropic", "amazon", "meta", "mistral", "cohere", "ai21", "deepseek", "openai", "qwen", "writer",
    ]

    /// The normalized form of `name`.
    static func normalize(_ name: String) -> String {
        var n = key(name)
        n = stripPath(n)
        n = stripBedrock(n)
        if let at = n.firstIndex(of: "@"), at != n.startIndex { n = String(n[..<at]) }
        n = stripSuffix("-latest", from: n)
        n = stripDate(n)
        return n
    }

    /// Reasoning-effort words some gateways append to a model name (`o3-mini-high`): a request setting, not a
    /// different model, so they do not change the price.
    static let effortWords: Set<Substring> = ["minimal", "low", "medium", "high", "xhigh"]

    /// Whether `suffix` (the part of a normalized name after a catalog name and its `-`) only names a
    /// snapshot of that catalog model, so that the model's price applies (step 4 of
    /// ``PriceCatalog/match(model:provider:)``).
    ///
    /// The rule is an allow-list, so that a prefix match can never cross a modality or variant boundary:
    /// every `-`-separated part of the suffix must be
    /// - a snapshot number of 3 or more digits (`001`, `0613`, `2411`, `12345678`);
    /// - a 2-digit number next to other numbers, as in a date (`06-17`, `09-2025`, `2024-13-45`);
    /// - `latest`, or a reasoning-effort word (``effortWords``).
    ///
    /// Anything else names a different model — `audio`, `realtime`, `search`, `tts`, `transcribe`, `image`,
    /// `vision`, `embedding`, `mini`, `nano`, `pro`, `lite`, `flash`, `preview`, `codex`, a one-digit version
    /// (`claude-opus-4` + `6`), or any word quotad does not know — and such a name is priced only by an
    /// entry (or alias) of its own. Date suffixes, `-latest`, `@…` and `-vN:M` are already removed by
    /// ``normalize(_:)``.
    static func isSnapshotSuffix(_ suffix: Substring) -> Bool {
        let parts = suffix.split(separator: "-", omittingEmptySubsequences: false)
        let numbers = parts.filter { !$0.isEmpty && $0.allSatisfy(isDigit) }
        return !parts.isEmpty && parts.allSatisfy { part in
            if part == "latest" || effortWords.contains(part) { return true }
            guard !part.isEmpty, part.allSatisfy(isDigit) else { return false }
            return part.count >= 3 || (part.count == 2 && numbers.count >= 2)
        }
    }

    /// Whether `part` could belong to a snapshot suffix (digits, `latest`, a reasoning-effort word): a part
    /// that cannot ends the search for a prefix.
    static func mayBeSnapshotPart(_ part: Substring) -> Bool {
        part == "latest" || effortWords.contains(part) || (!part.isEmpty && part.allSatisfy(isDigit))
    }

    /// The case-insensitive lookup key of a name (trimmed and lower-cased).
    static func key(_ name: String) -> String {
        // The common case, a name already in lower-case ASCII without surrounding whitespace, is its own key
        // (ASCII whitespace and control characters are all <= 0x20).
        let utf8 = name.utf8
        if let first = utf8.first, let last = utf8.last, first > 0x20, last > 0x20,
           utf8.allSatisfy({ $0 < 0x80 && !(UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) })
        {
            return name
        }
        return name.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }

    private static func stripPath(_ name: String) -> String {
        guard name.contains("/") else { return name }
        var segments = name.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if name.hasPrefix("arn:") || name.hasPrefix("projects/") {
            return segments.last ?? name
        }
        while segments.count > 1, let first = segments.first, providerSegments.contains(first) {
            segments.removeFirst()
        }
        return segments.joined(separator: "/")
    }

    private static func stripBedrock(_ name: String) -> String {
        var n = Substring(name)
        var vendorRemoved = false
        if let dot = n.firstIndex(of: "."), bedrockRegions.contains(String(n[..<dot])) {
            let rest = n[n.index(after: dot)...]
            if let vendorDot = rest.firstIndex(of: "."), bedrockVendors.contains(String(rest[..<vendorDot])) {
                n = rest
            }
        }
        if let dot = n.firstIndex(of: "."), bedrockVendors.contains(String(n[..<dot])) {
            n = n[n.index(after: dot)...]
            vendorRemoved = true
        }
        // "-v1:0" anywhere; "-v2" only on a Bedrock id.
        if let dash = n.lastIndex(of: "-") {
            let suffix = n[n.index(after: dash)...]
            if suffix.first == "v" {
                let parts = suffix.dropFirst().split(separator: ":", omittingEmptySubsequences: false)
                let numeric = !parts.isEmpty && parts.count <= 2 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(isDigit) }
                if numeric && (parts.count == 2 || vendorRemoved) { n = n[..<dash] }
            }
        }
        return String(n)
    }

    private static func stripSuffix(_ suffix: String, from name: String) -> String {
        name.count > suffix.count && name.hasSuffix(suffix) ? String(name.dropLast(suffix.count)) : name
    }

    private static func stripDate(_ name: String) -> String {
        let chars = Array(name)
        // -YYYY-MM-DD
        if chars.count > 11 {
            let tail = chars.suffix(11)
            let t = Array(tail)
            if t[0] == "-", t[5] == "-", t[8] == "-",
               let year = number(t[1...4]), let month = number(t[6...7]), let day = number(t[9...10]),
               isPlausible(year: year, month: month, day: day)
            {
                return String(chars.dropLast(11))
            }
        }
        // -YYYYMMDD
        if chars.count > 9 {
            let t = Array(chars.suffix(9))
            if t[0] == "-", let year = number(t[1...4]), let month = number(t[5...6]), let day = number(t[7...8]),
               isPlausible(year: year, month: month, day: day)
            {
                return String(chars.dropLast(9))
            }
        }
        return name
    }

    private static func number(_ chars: ArraySlice<Character>) -> Int? {
        guard chars.allSatisfy(isDigit) else { return nil }
        return Int(String(chars))
    }

    private static func isDigit(_ c: Character) -> Bool {
        c.isASCII && c.isNumber
    }

    private static func isPlausible(year: Int, month: Int, day: Int) -> Bool {
        (2000...2099).contains(year) && (1...12).contains(month) && (1...31).contains(day)
    }
}
