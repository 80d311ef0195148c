import NIOCore

/// One HTTP response as the benchmark's client saw it: the status and the whole body.
struct HTTPBenchResponse: Sendable {
    /// The status code.
    var status: Int
    /// The body, all of it.
    var body: ByteBuffer

    /// The body as text (for error messages and the occasional JSON read).
    var text: String { String(buffer: body) }
}
