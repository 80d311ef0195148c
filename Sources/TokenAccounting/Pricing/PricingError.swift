/// A price list, price or pricing file that cannot be used.
///
/// The message names the model and field at fault where there is one, for example
/// `model gpt-4o: price 'input' must be a non-negative decimal with at most 9 fractional digits (got "-1")`.
public struct PricingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem this is. Extensible: compare with the static members, do not switch exhaustively.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case invalidPrice = "invalid_price"
            case invalidDocument = "invalid_document"
            case duplicateName = "duplicate_name"
            case unreadableFile = "unreadable_file"
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A price is not a non-negative decimal with at most 9 fractional digits, or is out of range.
        public static let invalidPrice = Code(.invalidPrice)
        /// The document is not valid YAML/JSON or does not have the expected shape.
        public static let invalidDocument = Code(.invalidDocument)
        /// Two models (or a model and an alias) have the same name.
        public static let duplicateName = Code(.duplicateName)
        /// The pricing file could not be read.
        public static let unreadableFile = Code(.unreadableFile)

        /// A stable snake_case name of the code.
        public var description: String { base.rawValue }
    }

    /// What kind of problem this is.
    public var code: Code
    /// The model entry at fault, if any.
    public var model: String?
    /// The field at fault (for example `input` or `long_context.output`), if any.
    public var field: String?
    /// A human-readable explanation that names the model and the field where there are ones.
    public var message: String

    /// Creates an error; `message` should already name `model` and `field`.
    public init(code: Code, model: String? = nil, field: String? = nil, message: String) {
        self.code = code
        self.model = model
        self.field = field
        self.message = message
    }

    public var description: String { message }

    /// An error about one field of one model, with the message prefixed by `model <name>: `.
    static func forField(_ code: Code, model: String?, field: String?, _ detail: String) -> PricingError {
        let prefix = model.map { "model \($0): " } ?? ""
        return PricingError(code: code, model: model, field: field, message: prefix + detail)
    }
}
