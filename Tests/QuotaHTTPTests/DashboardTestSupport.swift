import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import QuotaHTTP
import QuotaDashboard
import Testing

/// A signed-in dashboard browser: the session cookie and the session's CSRF token.
struct DashboardBrowser {
    var cookie: String
    var csrf: String

    /// Headers sending the session cookie (and a form content type).
    var headers: HTTPFields {
        var headers = HTTPFields()
        headers[.cookie] = "quotad_session=\(cookie)"
        headers[.contentType] = "application/x-www-form-urlencoded"
        return headers
    }

    /// A form body (values percent-encoded).
    static func form(_ fields: [(String, String)]) -> ByteBuffer {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let encoded = fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }
        return ByteBuffer(string: encoded.joined(separator: "&"))
    }

    /// The value of a cookie set by a response (`name=value; …`), nil when it sets none.
    static func setCookie(_ response: TestResponse, _ name: String) -> String? {
        response.headers[values: .setCookie].first { $0.hasPrefix(name + "=") }
    }

    /// The cookie's value from a `Set-Cookie` line.
    static func value(ofSetCookie line: String) -> String {
        let pair = line.split(separator: ";", maxSplits: 1).first ?? ""
        return String(pair.split(separator: "=", maxSplits: 1).last ?? "")
    }

    /// The first `name="csrf" value="…"` of a page.
    static func csrf(in html: String) -> String? {
        guard let range = html.range(of: "name=\"csrf\" value=\"") else { return nil }
        let rest = html[range.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }

    /// Posts the sign-in form with `key` (after fetching the form for its token); returns the response's
    /// status, `Set-Cookie` lines and body.
    static func postLogin(_ client: some TestClientProtocol, key: String, forwardedProto: String? = nil) async throws -> (HTTPResponse.Status, [String], String) {
        let (loginCookie, token) = try await client.execute(uri: "/dashboard/login", method: .get) { response in
            #expect(response.status == .ok)
            let line = try #require(setCookie(response, "quotad_login"))
            return (value(ofSetCookie: line), try #require(csrf(in: String(buffer: response.body))))
        }
        var headers = HTTPFields()
        headers[.cookie] = "quotad_login=\(loginCookie)"
        headers[.contentType] = "application/x-www-form-urlencoded"
        if let forwardedProto { headers[HTTPField.Name("X-Forwarded-Proto")!] = forwardedProto }
        return try await client.execute(uri: "/dashboard/login", method: .post, headers: headers, body: form([("csrf", token), ("key", key)])) { response in
            (response.status, response.headers[values: .setCookie], String(buffer: response.body))
        }
    }

    /// Signs in with `key` and reads the session's CSRF token from a page.
    static func signIn(_ client: some TestClientProtocol, key: String) async throws -> DashboardBrowser {
        let (status, cookies, _) = try await postLogin(client, key: key)
        #expect(status == .seeOther)
        let line = try #require(cookies.first { $0.hasPrefix("quotad_session=") })
        var browser = DashboardBrowser(cookie: value(ofSetCookie: line), csrf: "")
        browser.csrf = try await client.execute(uri: "/dashboard/settings", method: .get, headers: browser.headers) { response in
            if let token = csrf(in: String(buffer: response.body)) { return token }
            return ""
        }
        if browser.csrf.isEmpty {
            // A tenant key cannot open the settings (403 page without the sign-out form): use its overview.
            browser.csrf = try await client.execute(uri: "/dashboard", method: .get, headers: browser.headers) { response in
                let location = response.headers[.location] ?? "/dashboard"
                return location
            }
            let location = browser.csrf
            browser.csrf = try await client.execute(uri: location, method: .get, headers: browser.headers) { response in
                try #require(csrf(in: String(buffer: response.body)))
            }
        }
        return browser
    }
}
