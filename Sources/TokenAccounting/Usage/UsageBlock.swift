/// A provider's usage object, read with the rules every format shares: a missing or `null` count is 0; a present
/// count must be a non-negative integer (an exactly integral number such as `14.0` or `1e3` counts) no larger than
/// ``TokenUsage/maximumCount``.
struct UsageBlock: Sendable {
    /// The object's members.
    var fields: [String: JSONValue]
    /// Where the object sits in the response, for error messages (`usage`, `response.usage`, ...).
    var path: String

    /// Reads the usage object at `value`: `nil` when absent or `null`.
    ///
    /// - Throws: `invalidCount` when the value is present but not an object.
    static func read(_ value: JSONValue?, path: String) throws(UsageParseError) -> UsageBlock? {
        switch value {
        case nil, .null?: return nil
        case .object(let fields)?: return UsageBlock(fields: fields, path: path)
        case let other?: throw UsageParseError(.invalidCount, "\(path) must be an object, not \(other.typeName)")
        }
    }

    /// Checks that at least one of `keys` is present and not `null`.
    ///
    /// A usage object without any of its format's main counts is not a report of zero tokens but a sign that the
    /// body is some other format (or a stub): reading it as zeros would let a call go unbilled.
    ///
    /// - Throws: `noUsage` naming the expected fields.
    func requireAny(of keys: [String], format: UsageFormat) throws(UsageParseError) {
        guard keys.contains(where: { fields[$0].map { !$0.isNull } ?? false }) else {
            let names = keys.map { "\(path).\($0)" }.joined(separator: ", ")
            throw UsageParseError(.noUsage, "the \(format.displayName) usage has none of \(names)")
        }
    }

    /// Refuses a block that carries another format's counts (`foreign`, of `foreignFormat`) and none of this
    /// format's (`own`): read as `format` it would count them as 0. A LiteLLM-normalised (OpenAI-shaped)
    /// response sent with `provider: anthropic` is the common case.
    func refuseForeignShape(_ foreign: [String], of foreignFormat: UsageFormat, own: [String], format: UsageFormat) throws(UsageParseError) {
        let present = foreign.filter { fields[$0].map { !$0.isNull } ?? false }
        guard !present.isEmpty, !own.contains(where: { fields[$0].map { !$0.isNull } ?? false }) else { return }
        throw UsageParseError(
            .providerMismatch,
            "the usage has \(present.map { "\(path).\($0)" }.joined(separator: ", ")) (\(foreignFormat.displayName) fields) and none of "
                + "\(own.map { "\(path).\($0)" }.joined(separator: ", ")), so it is not a \(format.displayName) response: name the provider "
                + "whose format the body is in (an OpenAI-shaped body, such as LiteLLM's normalised response, is provider \"openai\"), "
                + "or send the provider's own response"
        )
    }

    /// The count named `key` (0 when missing or `null`).
    func count(_ key: String) throws(UsageParseError) -> Int {
        try Self.count(fields[key], path: "\(path).\(key)")
    }

    /// The nested usage object named `key`, if present and not `null`.
    func block(_ key: String) throws(UsageParseError) -> UsageBlock? {
        try Self.read(fields[key], path: "\(path).\(key)")
    }

    /// The sum of the `tokenCount`s of the entries of the Gemini modality list named `key` (for example
    /// `promptTokensDetails: [{"modality": "AUDIO", "tokenCount": 12}]`) whose `modality` is `modality`.
    ///
    /// A missing or `null` list counts as 0, and so do entries without a count.
    ///
    /// - Throws: `invalidCount` when the list or an entry has the wrong shape, a count is invalid, or the sum
    ///   exceeds ``TokenUsage/maximumCount``.
    func modalityCount(_ key: String, modality: String) throws(UsageParseError) -> Int {
        let listPath = "\(path).\(key)"
        let entries: [JSONValue]
        switch fields[key] {
        case nil, .null?: return 0
        case .array(let elements)?: entries = elements
        case let other?: throw UsageParseError(.invalidCount, "\(listPath) must be an array, not \(other.typeName)")
        }
        var parts: [(field: String, count: Int)] = []
        for (index, entry) in entries.enumerated() {
            let entryPath = "\(listPath)[\(index)]"
            guard let block = try Self.read(entry, path: entryPath) else { continue }
            guard block.fields["modality"]?.stringValue?.uppercased() == modality else { continue }
            parts.append((entryPath + ".tokenCount", try block.count("tokenCount")))
        }
        return try UsageArithmetic.sum(parts, into: "\(listPath) \(modality) tokens")
    }

    /// The count in `value` (0 when missing or `null`).
    static func count(_ value: JSONValue?, path: String) throws(UsageParseError) -> Int {
        switch value {
        case nil, .null?:
            return 0
        case .integer(let count)?:
            guard count >= 0 else {
                throw UsageParseError(.invalidCount, "\(path) must be a non-negative integer (got \(count))")
            }
            guard count <= TokenUsage.maximumCount else {
                throw UsageParseError(.invalidCount, "\(path) is implausibly large (got \(count), at most \(TokenUsage.maximumCount))")
            }
            return count
        case .double(let number)?:
            guard number.isFinite, number.rounded(.towardZero) == number else {
                throw UsageParseError(.invalidCount, "\(path) must be a non-negative integer (got \(number))")
            }
            guard number >= 0 else {
                throw UsageParseError(.invalidCount, "\(path) must be a non-negative integer (got \(number))")
            }
            guard number <= Double(TokenUsage.maximumCount) else {
                throw UsageParseError(.invalidCount, "\(path) is implausibly large (got \(number), at most \(TokenUsage.maximumCount))")
            }
            return Int(number)
        case let other?:
            throw UsageParseError(.invalidCount, "\(path) must be a non-negative integer (got \(other.briefDescription))")
        }
    }
}
