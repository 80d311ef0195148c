import Foundation
import Yams

extension QuotadConfiguration {
    /// Applies the keys present in a YAML document (absent keys and `~`/null values keep their values).
    ///
    /// Every error names the key by its full dotted path and the line and column in `source`: an unknown
    /// key (listing the known keys of its section), a value of the wrong type or out of range, a
    /// duplicate key, or a YAML syntax error.
    ///
    /// - Parameters:
    ///   - text: the YAML document.
    ///   - source: the file name used in error messages.
    public mutating func apply(yaml text: String, source: String = "configuration") throws(ConfigurationError) {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw Self.syntaxError(error, in: text, source: source)
        } catch {
            throw ConfigurationError("invalid YAML in \(source): \(error)")
        }
        guard let root, !Self.isNull(root) else { return }
        guard case .mapping(let mapping) = root else {
            throw ConfigurationError(
                "\(source)\(Self.location(root.mark)) must be a mapping of sections (\(Self.knownKeys(under: "")))",
                line: root.mark?.line, column: root.mark?.column
            )
        }
        let keys = Dictionary(ConfigurationKey.all.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        try apply(mapping: mapping, section: "", keys: keys, source: source)
    }

    private mutating func apply(
        mapping: Node.Mapping, section: String, keys: [String: ConfigurationKey], source: String
    ) throws(ConfigurationError) {
        for (keyNode, valueNode) in mapping {
            let name = keyNode.string ?? "\(keyNode)"
            let path = section.isEmpty ? name : "\(section).\(name)"
            let mark = keyNode.mark
            if let key = keys[path] {
                try apply(valueNode, to: key, source: source)
            } else if keys.keys.contains(where: { $0.hasPrefix(path + ".") }) {
                if Self.isNull(valueNode) { continue }
                guard case .mapping(let nested) = valueNode else {
                    throw ConfigurationError(
                        "'\(path)' in \(source)\(Self.location(valueNode.mark)) must be a mapping of keys (\(Self.knownKeys(under: path)))",
                        key: path, line: valueNode.mark?.line, column: valueNode.mark?.column
                    )
                }
                try apply(mapping: nested, section: path, keys: keys, source: source)
            } else {
                let known = section.isEmpty ? "known top-level keys" : "known keys of '\(section)'"
                throw ConfigurationError(
                    "unknown key '\(path)' in \(source)\(Self.location(mark)); \(known): \(Self.knownKeys(under: section))",
                    key: path, line: mark?.line, column: mark?.column
                )
            }
        }
    }

    private mutating func apply(_ node: Node, to key: ConfigurationKey, source: String) throws(ConfigurationError) {
        if Self.isNull(node) { return }
        let raw: ConfigurationKey.RawValue
        switch node {
        case .scalar(let scalar):
            if case .list = key.kind {
                throw Self.valueError(key, "must be \(key.expectation) (a YAML sequence such as [a, b]), not a single value", node: node, source: source)
            }
            raw = .scalar(scalar.string)
        case .sequence(let sequence):
            var items: [String] = []
            for item in sequence {
                guard case .scalar(let scalar) = item else {
                    throw Self.valueError(key, "must be \(key.expectation), not a list of lists or mappings", node: item, source: source)
                }
                items.append(scalar.string)
            }
            raw = .list(items)
        case .mapping:
            throw Self.valueError(key, "must be \(key.expectation), not a mapping", node: node, source: source)
        case .alias:
            throw Self.valueError(key, "must be \(key.expectation), not an alias", node: node, source: source)
        }
        do {
            try key.assign(raw, to: &self)
        } catch {
            throw Self.valueError(key, error.reason, node: node, source: source)
        }
    }

    private static func valueError(_ key: ConfigurationKey, _ reason: String, node: Node, source: String) -> ConfigurationError {
        ConfigurationError(
            "\(key.path) in \(source)\(location(node.mark)) \(reason)",
            key: key.path, line: node.mark?.line, column: node.mark?.column
        )
    }

    /// A plain `~`, `null` or empty value: the key is present but keeps its value.
    private static func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// The keys directly under a section (`""`: the top level), in table order.
    static func knownKeys(under section: String) -> String {
        let prefix = section.isEmpty ? "" : section + "."
        var names: [String] = []
        for key in ConfigurationKey.all where key.path.hasPrefix(prefix) {
            let rest = key.path.dropFirst(prefix.count)
            let name = String(rest.prefix(while: { $0 != "." }))
            if !names.contains(name) { names.append(name) }
        }
        return names.joined(separator: ", ")
    }

    /// ` (line 3, column 5)`, or nothing without a mark.
    private static func location(_ mark: Mark?) -> String {
        mark.map { " (line \($0.line), column \($0.column))" } ?? ""
    }

    /// A YAML syntax error as one line with its position: `invalid YAML in f.yaml (line 3, column 5): …`.
    static func syntaxError(_ error: YamlError, in text: String, source: String) -> ConfigurationError {
        func located(_ problem: String, _ mark: Mark) -> ConfigurationError {
            located(problem, line: mark.line, column: mark.column)
        }
        func located(_ problem: String, line: Int, column: Int) -> ConfigurationError {
            ConfigurationError("invalid YAML in \(source) (line \(line), column \(column)): \(problem)", line: line, column: column)
        }
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let detail = context.map { " (\($0.text) at line \($0.mark.line), column \($0.mark.column))" } ?? ""
            return located(problem + detail, mark)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let names = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return located("duplicate key \(names)", context.mark)
        case .reader(let problem, let offset, _, _):
            guard let offset, let index = text.index(text.startIndex, offsetBy: offset, limitedBy: text.endIndex) else {
                return ConfigurationError("invalid YAML in \(source): \(problem)")
            }
            let before = text[..<index]
            let line = before.reduce(1) { $1 == "\n" ? $0 + 1 : $0 }
            let column = before.distance(from: before.lastIndex(of: "\n").map { before.index(after: $0) } ?? before.startIndex, to: before.endIndex) + 1
            return located(problem, line: line, column: column)
        default:
            return ConfigurationError("invalid YAML in \(source): \(error)")
        }
    }
}
