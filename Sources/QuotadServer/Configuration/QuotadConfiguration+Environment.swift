import Foundation

extension QuotadConfiguration {
    /// Applies the `QUOTAD_*` variables that are set (an empty value counts as unset).
    ///
    /// Other `QUOTAD_*` variables are ignored: other tools share the prefix. See
    /// ``environmentWarnings(_:)`` for near misses of known names.
    public mutating func apply(environment: [String: String]) throws(ConfigurationError) {
        for key in ConfigurationKey.all {
            guard let raw = environment[key.environmentVariable]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else {
                continue
            }
            do {
                try key.assign(.scalar(raw), to: &self)
            } catch {
                throw ConfigurationError("\(key.environmentVariable) (\(key.path)) \(error.reason)", key: key.environmentVariable)
            }
        }
    }

    /// Warnings for `QUOTAD_*` variables that are not quotad's but look like a misspelling of one
    /// (`QUOTAD_HTTP_PROT` → did you mean `QUOTAD_HTTP_PORT`?). Unrelated names give no warning.
    public static func environmentWarnings(_ environment: [String: String]) -> [String] {
        let known = ConfigurationKey.all.map(\.environmentVariable) + ConfigurationKey.otherEnvironmentVariables
        var warnings: [String] = []
        for name in environment.keys.sorted() where name.hasPrefix("QUOTAD_") && !known.contains(name) {
            let nearest = known.map { (name: $0, distance: editDistance(name, $0)) }.min { $0.distance < $1.distance }
            if let nearest, nearest.distance <= 2 {
                warnings.append("\(name) is not a quotad setting and is ignored; did you mean \(nearest.name)?")
            }
        }
        return warnings
    }

    /// Levenshtein distance between two ASCII-ish names.
    private static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8), b = Array(b.utf8)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
