import Foundation

/// One setting quotad reads: its dotted YAML path, its environment variable, its type and range, and
/// the ``QuotadConfiguration`` property it sets. ``all`` is the one list that the YAML reader, the
/// environment reader and ``QuotadConfiguration/validate()`` all use.
struct ConfigurationKey {
    /// The type of a setting and the property it is stored in.
    enum Kind {
        /// An integer within a range.
        case integer(WritableKeyPath<QuotadConfiguration, Int>, ClosedRange<Int>)
        /// A TCP port within 1…65535, where 0 means "none" (stored as nil).
        case optionalPort(WritableKeyPath<QuotadConfiguration, Int?>)
        /// A string that must not be empty.
        case text(WritableKeyPath<QuotadConfiguration, String>)
        /// A string where empty means "not set" (stored as nil).
        case optionalText(WritableKeyPath<QuotadConfiguration, String?>)
        /// true or false (also yes/no, on/off, 1/0).
        case boolean(WritableKeyPath<QuotadConfiguration, Bool>)
        /// A YAML list of strings, comma-separated in the environment; empty items are dropped.
        case list(WritableKeyPath<QuotadConfiguration, [String]>)
        /// One of a fixed set of words (case-insensitive); `set` stores the chosen (lower-case) word.
        case choice([String], set: (inout QuotadConfiguration, String) -> Void)
    }

    /// A raw value before it is checked: a YAML scalar or environment string, or a YAML list.
    enum RawValue {
        case scalar(String)
        case list([String])
    }

    /// What is wrong with a value, phrased to follow the key's name ("must be 1…256 (got 0)").
    struct Problem: Error {
        var reason: String
    }

    /// The dotted YAML path, e.g. `http.read_timeout_ms`.
    let path: String
    /// The environment variable, e.g. `QUOTAD_HTTP_READ_TIMEOUT_MS`.
    let environmentVariable: String
    /// The type, range and destination.
    let kind: Kind

    /// The expected type in words, for error messages.
    var expectation: String {
        switch kind {
        case .integer(_, let range): "an integer \(Self.describe(range))"
        case .optionalPort: "a port 1…65535 (0: none)"
        case .text: "a non-empty string"
        case .optionalText: "a string"
        case .boolean: "true or false"
        case .list: "a list of strings"
        case .choice(let values, _): "one of \(values.joined(separator: ", "))"
        }
    }

    /// Checks a raw value against the kind and range and stores it.
    func assign(_ raw: RawValue, to configuration: inout QuotadConfiguration) throws(Problem) {
        if case .list(let items) = raw {
            guard case .list(let keyPath) = kind else { throw Problem(reason: "must be \(expectation), not a list") }
            configuration[keyPath: keyPath] = items.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            return
        }
        guard case .scalar(let string) = raw else { return }
        switch kind {
        case .integer(let keyPath, let range):
            let value = try Self.integer(string, expectation: expectation)
            guard range.contains(value) else {
                throw Problem(reason: "must be \(Self.describe(range)) (got \(value))")
            }
            configuration[keyPath: keyPath] = value
        case .optionalPort(let keyPath):
            let value = try Self.integer(string, expectation: expectation)
            guard value == 0 || (1...65535).contains(value) else {
                throw Problem(reason: "must be 1…65535, or 0 for none (got \(value))")
            }
            configuration[keyPath: keyPath] = value == 0 ? nil : value
        case .text(let keyPath):
            guard !string.isEmpty else { throw Problem(reason: "must not be empty") }
            configuration[keyPath: keyPath] = string
        case .optionalText(let keyPath):
            configuration[keyPath: keyPath] = string.isEmpty ? nil : string
        case .boolean(let keyPath):
            switch string.lowercased() {
            case "true", "yes", "on", "1": configuration[keyPath: keyPath] = true
            case "false", "no", "off", "0": configuration[keyPath: keyPath] = false
            default: throw Problem(reason: "must be true or false (got '\(string)')")
            }
        case .list(let keyPath):
            configuration[keyPath: keyPath] = string.split(separator: ",")
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        case .choice(let values, let set):
            let word = string.lowercased()
            guard values.contains(word) else { throw Problem(reason: "must be \(expectation) (got '\(string)')") }
            set(&configuration, word)
        }
    }

    /// Checks the value currently stored (for configurations built in code rather than loaded).
    func check(_ configuration: QuotadConfiguration) throws(Problem) {
        switch kind {
        case .integer(let keyPath, let range):
            let value = configuration[keyPath: keyPath]
            guard range.contains(value) else {
                throw Problem(reason: "must be \(Self.describe(range)) (got \(value))")
            }
        case .optionalPort(let keyPath):
            if let value = configuration[keyPath: keyPath], !(1...65535).contains(value) {
                throw Problem(reason: "must be 1…65535, or 0 for none (got \(value))")
            }
        case .text(let keyPath):
            guard !configuration[keyPath: keyPath].isEmpty else { throw Problem(reason: "must not be empty") }
        case .optionalText, .boolean, .list, .choice:
            break
        }
    }

    /// `1…256`, or `at least 0` for a range without a real upper bound.
    static func describe(_ range: ClosedRange<Int>) -> String {
        range.upperBound == Int.max ? "at least \(range.lowerBound)" : "\(range.lowerBound)…\(range.upperBound)"
    }

    private static func integer(_ string: String, expectation: String) throws(Problem) -> Int {
        guard let value = Int(string.replacingOccurrences(of: "_", with: "")) else {
            throw Problem(reason: "must be \(expectation) (got '\(string)')")
        }
        return value
    }
}
