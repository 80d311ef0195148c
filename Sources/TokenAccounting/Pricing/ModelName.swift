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
/// Suffixes such as `-001` or `-preview-06-17` are left alone: the prefix step of the catalog handles them.
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

    /// The case-insensitive lookup key of a name (trimmed and lower-cased).
    static func key(_ name: String) -> String {
        name.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
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
