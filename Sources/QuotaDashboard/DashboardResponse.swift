import QuotaStores
import QuotaHTTP
import Hummingbird
import NIOCore

/// The dashboard's responses: HTML pages, redirects (Post/Redirect/Get) and the static assets.
enum DashboardResponse {
    /// An HTML page.
    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        let buffer = ByteBuffer(string: text)
        return Response(
            status: status,
            headers: [.contentType: "text/html; charset=utf-8", .contentLength: String(buffer.readableBytes)],
            body: .init(byteBuffer: buffer)
        )
    }

    /// `303 See Other` to a dashboard path (always a path of ours: never a URL taken from the request).
    static func redirect(_ path: String) -> Response {
        Response(status: .seeOther, headers: [.location: path, .contentLength: "0"])
    }

    /// A static asset, cacheable for five minutes (it changes only with quotad's binary).
    static func asset(_ bytes: [UInt8], contentType: String) -> Response {
        let buffer = ByteBuffer(bytes: bytes)
        return Response(
            status: .ok,
            headers: [.contentType: contentType, .contentLength: String(buffer.readableBytes), .cacheControl: "public, max-age=300"],
            body: .init(byteBuffer: buffer)
        )
    }
}
