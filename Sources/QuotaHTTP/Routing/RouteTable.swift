public import HTTPTypes
import Synchronization

/// The registered routes (method and path template), used to tell `405 Method Not Allowed` from
/// `404 Not Found` and to compare the router with the OpenAPI document.
public final class RouteTable: Sendable {
    /// One route.
    public struct Route: Sendable, Hashable, CustomStringConvertible {
        /// The method.
        public var method: HTTPRequest.Method
        /// The path template, e.g. `/v1/tenants/{tenant}/usage`.
        public var path: String
        /// Creates a route.
        public init(method: HTTPRequest.Method, path: String) {
            self.method = method
            self.path = path
        }
        public var description: String { "\(method.rawValue) \(path)" }
    }

    private let routes = Mutex<[Route]>([])

    /// An empty table (filled by ``load(_:)`` after the router is built).
    public init() {}

    /// Replaces the table's routes.
    public func load(_ routes: [Route]) {
        self.routes.withLock { $0 = routes }
    }

    /// All routes.
    public var all: [Route] { routes.withLock { $0 } }

    /// The methods registered for paths matching `path` (empty when no template matches).
    public func methods(matching path: String) -> [HTTPRequest.Method] {
        let segments = Self.segments(path)
        return routes.withLock { routes in
            routes.filter { Self.matches(template: Self.segments($0.path), segments) }.map(\.method)
        }
    }

    static func segments(_ path: String) -> [Substring] {
        let withoutQuery = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return withoutQuery.split(separator: "/", omittingEmptySubsequences: true)
    }

    static func matches(template: [Substring], _ segments: [Substring]) -> Bool {
        guard template.count == segments.count else { return false }
        for (expected, actual) in zip(template, segments) {
            if expected.hasPrefix("{") && expected.hasSuffix("}") { continue }
            if expected != actual { return false }
        }
        return true
    }
}
