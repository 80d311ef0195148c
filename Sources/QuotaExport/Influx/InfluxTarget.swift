import Foundation

/// Where points are written: an InfluxDB 1.x database (`/write`) or a 2.x bucket (`/api/v2/write`).
public struct InfluxTarget: Sendable, Hashable {
    /// The InfluxDB API version and its addressing.
    public enum API: Sendable, Hashable {
        /// InfluxDB 1.x: `POST /write?db=&rp=&precision=ns`.
        case v1(database: String, retentionPolicy: String?)
        /// InfluxDB 2.x: `POST /api/v2/write?org=&bucket=&precision=ns` with `Authorization: Token <token>`.
        case v2(org: String, bucket: String, token: String)
    }

    /// The server's base URL (`http://host:8086`, a path prefix is kept).
    public var baseURL: String
    /// The API and its addressing.
    public var api: API

    /// Creates a target.
    public init(baseURL: String, api: API) {
        self.baseURL = baseURL
        self.api = api
    }

    /// The write endpoint's URL with its query (values percent-encoded).
    public var writeURL: String {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        let items: [(String, String)]
        let path: String
        switch api {
        case .v1(let database, let retentionPolicy):
            path = "/write"
            items = [("db", database)] + (retentionPolicy.map { [("rp", $0)] } ?? []) + [("precision", "ns")]
        case .v2(let org, let bucket, _):
            path = "/api/v2/write"
            items = [("org", org), ("bucket", bucket), ("precision", "ns")]
        }
        let query = items.map { "\($0.0)=\(Self.percentEncoded($0.1))" }.joined(separator: "&")
        return base + path + "?" + query
    }

    /// The `Authorization` header value, if the API needs one.
    public var authorization: String? {
        if case .v2(_, _, let token) = api { return "Token " + token }
        return nil
    }

    static func percentEncoded(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}
