import Foundation
import Yams

/// The OpenAPI 3.1 description of quotad's HTTP API, served at `GET /openapi.yaml`.
///
/// The document is the resource file `openapi.yaml` of this module (one copy, which tools such as
/// openapi-spec-validator and schemathesis read too); it is loaded once, on first use. A test checks that
/// its paths and methods equal the router's routes exactly.
public enum OpenAPIDocument {
    /// The operations the document describes, as `"METHOD /path"` strings (e.g. `"GET /healthz"`).
    public static func operations() throws -> Set<String> {
        guard let root = try Yams.load(yaml: yaml) as? [String: Any], let paths = root["paths"] as? [String: Any] else {
            return []
        }
        let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]
        var result = Set<String>()
        for (path, item) in paths {
            guard let operations = item as? [String: Any] else { continue }
            for key in operations.keys where methods.contains(key) { result.insert("\(key.uppercased()) \(path)") }
        }
        return result
    }

    /// The document (the text of the bundled `openapi.yaml`).
    ///
    /// The resource bundle `quotad_QuotaHTTP.resources` must sit beside the executable (SwiftPM puts it
    /// there in `.build/<configuration>`; a container image must copy it next to the binary).
    public static let yaml: String = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else {
            fatalError("the resource openapi.yaml is missing from the QuotaHTTP resource bundle")
        }
        return text
    }()
}
