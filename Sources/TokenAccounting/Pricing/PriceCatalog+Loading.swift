import Foundation

extension PriceCatalog {
    /// Loads a price file: LiteLLM's JSON format when the path ends in `.json` (any case), quotad's YAML
    /// format otherwise.
    ///
    /// - Throws: ``PricingError`` with code ``PricingError/Code/unreadableFile`` when the file cannot be read
    ///   or is not UTF-8, or the errors of ``load(yaml:)`` and ``load(liteLLMJSON:)``.
    public static func load(contentsOf path: String) throws(PricingError) -> PriceCatalog {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw PricingError(code: .unreadableFile, message: "cannot read price file \(path): \(error.localizedDescription)")
        }
        if path.lowercased().hasSuffix(".json") {
            return try load(liteLLMJSON: [UInt8](data))
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PricingError(code: .unreadableFile, message: "price file \(path) is not UTF-8 text")
        }
        return try load(yaml: text)
    }

    /// The prices shipped with quotad: `Resources/pricing.yaml` of this module (also reachable as
    /// `config/pricing.yaml`), which SwiftPM compiles into the binary (`embedInCode`), so no file and no
    /// resource bundle is needed at run time. Parsed once, on first use.
    public static func bundledDefault() -> PriceCatalog {
        bundled
    }

    /// The text of the default price list that ``bundledDefault()`` parses, for tools that show or export it.
    public static var bundledDefaultYAML: String {
        String(decoding: PackageResources.pricing_yaml, as: UTF8.self)
    }

    private static let bundled: PriceCatalog = {
        do {
            return try load(yaml: bundledDefaultYAML)
        } catch {
            // The embedded file is fixed at build time and loaded by the test suite.
            preconditionFailure("the embedded default price list is invalid: \(error)")
        }
    }()
}
