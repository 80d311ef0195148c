/// Why an HTTP benchmark run stopped: an answer other than the one the work must get, or a connection lost.
struct HTTPBenchError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }

    /// A response whose status is not `expected`.
    static func unexpected(_ response: HTTPBenchResponse, expected: Int, request: String) -> HTTPBenchError {
        HTTPBenchError("\(request) answered \(response.status) (expected \(expected)): \(response.text.prefix(300))")
    }
}
