import AsyncRedis
import EmbeddedRedis
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import QuotaHTTP
import QuotaDashboard
import Testing
import TokenQuota

/// The dashboard against the real application and a private redis-server: sign-in, sessions, CSRF, scopes,
/// the quota editor, escaping, revocation.
@Suite struct DashboardHTTPTests {
    static func record(_ client: some TestClientProtocol, tenant: String = "acme", user: String, model: String = "gpt-4o", event: String) async throws {
        let body = #"{"user":"\#(user)","event_id":"\#(event)","model":"\#(model)","usage":{"input_tokens":1000,"output_tokens":500}}"#
        try await client.execute(uri: "/v1/tenants/\(tenant)/usage", method: .post, headers: auth(adminKey), body: json(body)) {
            #expect($0.status == .ok)
        }
    }

    static func createKey(_ client: some TestClientProtocol, tenant: String, scopes: [String]) async throws -> (id: String, key: String) {
        let names = scopes.map { "\"\($0)\"" }.joined(separator: ",")
        return try await client.execute(uri: "/v1/tenants/\(tenant)/keys", method: .post, headers: auth(adminKey), body: json(#"{"scopes":[\#(names)]}"#)) {
            let body = object($0)
            return (try #require(body["id"] as? String), try #require(body["key"] as? String))
        }
    }

    @Test func signInSetsASessionCookieWithTheRightAttributes() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                try await client.execute(uri: "/dashboard/login", method: .get) { response in
                    #expect(response.headers[.contentSecurityPolicy]?.contains("default-src 'self'") == true)
                    #expect(response.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
                    #expect(response.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
                    #expect(response.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
                    #expect(response.headers[.cacheControl] == "no-store")
                    #expect(!String(buffer: response.body).contains("<script>"))
                }
                let (status, cookies, _) = try await DashboardBrowser.postLogin(client, key: adminKey)
                #expect(status == .seeOther)
                let session = try #require(cookies.first { $0.hasPrefix("quotad_session=") })
                #expect(session.contains("HttpOnly"))
                #expect(session.contains("SameSite=Strict"))
                #expect(session.contains("Path=/dashboard"))
                #expect(session.contains("Max-Age=43200"))
                #expect(!session.contains("Secure"))
                #expect(!session.contains(adminKey))
                let (_, tlsCookies, _) = try await DashboardBrowser.postLogin(client, key: adminKey, forwardedProto: "https")
                #expect(tlsCookies.first { $0.hasPrefix("quotad_session=") }?.contains("Secure") == true)
                // Without a session every page sends the browser to the sign-in form.
                try await client.execute(uri: "/dashboard/t/acme", method: .get) { response in
                    #expect(response.status == .seeOther)
                    #expect(response.headers[.location] == "/dashboard/login")
                }
            }
        }
    }

    @Test func aWrongKeyShowsTheFormAgainWith401() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let (status, cookies, body) = try await DashboardBrowser.postLogin(client, key: "qk_not-a-real-key")
                #expect(status == .unauthorized)
                #expect(cookies.first { $0.hasPrefix("quotad_session=") } == nil)
                #expect(body.contains("That key is not valid"))
                #expect(body.contains("name=\"key\""))
                #expect(!body.contains("qk_not-a-real-key"))
            }
        }
    }

    @Test func aPostWithoutTheCSRFTokenIsRefusedAndChangesNothing() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                try await Self.record(client, user: "alice", event: "e1")
                let browser = try await DashboardBrowser.signIn(client, key: adminKey)
                #expect(!browser.csrf.isEmpty)
                for fields in [[("tokens", "10")], [("csrf", "forged-token-000000000000000000000000000000"), ("tokens", "10")]] {
                    try await client.execute(
                        uri: "/dashboard/t/acme/users/alice/quota", method: .post, headers: browser.headers, body: DashboardBrowser.form(fields)
                    ) { response in
                        #expect(response.status == .forbidden)
                        #expect(String(buffer: response.body).contains("security token"))
                    }
                }
                try await client.execute(uri: "/v1/tenants/acme/users/alice/quota", method: .get, headers: auth(adminKey)) { response in
                    #expect((object(response)["limits"] as? [String: Any])?["tokens"] is NSNull)
                }
                try await client.execute(uri: "/dashboard/settings", method: .post, headers: browser.headers, body: DashboardBrowser.form([("enabled", "on")])) {
                    #expect($0.status == .forbidden)
                }
                try await client.execute(uri: "/v1/settings/metrics", method: .get, headers: auth(adminKey)) { response in
                    #expect(object(response)["token_statistics"] as? Bool == true)
                }
            }
        }
    }

    @Test func aUsageReadKeySeesButCannotEdit() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                try await Self.record(client, user: "alice", event: "e1")
                let key = try await Self.createKey(client, tenant: "acme", scopes: ["usage:read"])
                let browser = try await DashboardBrowser.signIn(client, key: key.key)
                try await client.execute(uri: "/dashboard/t/acme/users/alice", method: .get, headers: browser.headers) { response in
                    #expect(response.status == .ok)
                    let html = String(buffer: response.body)
                    #expect(html.contains("1,500"))
                    #expect(!html.contains("action=\"/dashboard/t/acme/users/alice/quota\""))
                    #expect(html.contains("lacks <code>quota:read</code>"))
                }
                try await client.execute(
                    uri: "/dashboard/t/acme/users/alice/quota", method: .post, headers: browser.headers,
                    body: DashboardBrowser.form([("csrf", browser.csrf), ("tokens", "10")])
                ) { response in
                    #expect(response.status == .forbidden)
                    #expect(String(buffer: response.body).contains("quota:write"))
                }
                try await client.execute(uri: "/dashboard/t/other", method: .get, headers: browser.headers) { #expect($0.status == .forbidden) }
                try await client.execute(uri: "/dashboard/settings", method: .get, headers: browser.headers) { #expect($0.status == .forbidden) }
                try await client.execute(uri: "/dashboard/t/acme/reports", method: .get, headers: browser.headers) { #expect($0.status == .forbidden) }
                try await client.execute(uri: "/v1/tenants/acme/users/alice/quota", method: .get, headers: auth(adminKey)) { response in
                    #expect((object(response)["limits"] as? [String: Any])?["tokens"] is NSNull)
                }
            }
        }
    }

    @Test func theQuotaFormChangesWhatTheAPIReturnsAndEchoesErrorsEscaped() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                try await Self.record(client, user: "alice", event: "e1")
                let browser = try await DashboardBrowser.signIn(client, key: adminKey)
                let fields = [
                    ("csrf", browser.csrf), ("tokens", "5000"), ("cost_usd", "12.50"), ("requests", ""), ("tokens_per_minute", "900"),
                    ("anchor_day", "1"), ("timezone", "UTC"), ("group", "team-a"), ("thresholds", "50, 80"),
                ]
                try await client.execute(uri: "/dashboard/t/acme/users/alice/quota", method: .post, headers: browser.headers, body: DashboardBrowser.form(fields)) {
                    #expect($0.status == .seeOther)
                    #expect($0.headers[.location] == "/dashboard/t/acme/users/alice?notice=saved")
                }
                try await client.execute(uri: "/v1/tenants/acme/users/alice/quota", method: .get, headers: auth(adminKey)) { response in
                    let body = object(response)
                    let limits = body["limits"] as? [String: Any]
                    #expect(limits?["tokens"] as? Int == 5000)
                    #expect(limits?["cost_usd"] as? String == "12.50")
                    #expect((body["rate"] as? [String: Any])?["tokens_per_minute"] as? Int == 900)
                    #expect(body["group"] as? String == "team-a")
                    #expect((body["alerts"] as? [String: Any])?["thresholds_percent"] as? [Int] == [50, 80])
                }
                try await client.execute(uri: "/dashboard/t/acme/users/alice?notice=saved", method: .get, headers: browser.headers) { response in
                    let html = String(buffer: response.body)
                    #expect(html.contains("Saved."))
                    #expect(html.contains("value=\"5000\""))
                    #expect(html.contains("1,500 of 5,000"))
                }
                let attack = "<script>alert(1)</script>"
                try await client.execute(
                    uri: "/dashboard/t/acme/users/alice/quota", method: .post, headers: browser.headers,
                    body: DashboardBrowser.form([("csrf", browser.csrf), ("tokens", attack), ("timezone", "UTC")])
                ) { response in
                    #expect(response.status == .badRequest)
                    let html = String(buffer: response.body)
                    #expect(!html.contains(attack))
                    #expect(html.contains("limits.tokens must be a whole number (got &quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;)"))
                    #expect(html.contains("value=\"&lt;script&gt;alert(1)&lt;/script&gt;\""))
                }
                // The API's own messages, for what the API validates.
                for (name, value, message) in [
                    ("tokens", "-5", "limits.tokens must not be negative"), ("cost_usd", "1.0000000001", "limits.cost_usd must be a non-negative decimal"),
                    ("timezone", "Mars/Base", "Mars/Base"), ("group", "bad:group", "group"), ("thresholds", "0, 50", "between 1 and 100"),
                ] {
                    try await client.execute(
                        uri: "/dashboard/t/acme/users/alice/quota", method: .post, headers: browser.headers,
                        body: DashboardBrowser.form([("csrf", browser.csrf), (name, value)])
                    ) { response in
                        #expect(response.status == .badRequest, "\(name)=\(value)")
                        #expect(String(buffer: response.body).contains(message), "\(name)=\(value)")
                    }
                }
                try await client.execute(uri: "/v1/tenants/acme/users/alice/quota", method: .get, headers: auth(adminKey)) { response in
                    #expect((object(response)["limits"] as? [String: Any])?["tokens"] as? Int == 5000)
                }
            }
        }
    }

    @Test func aScriptInAModelNameRendersAsText() async throws {
        try await withQuotaApp(unpricedModels: .allow) { app, _ in
            try await app.test(.router) { client in
                let attack = "<script>alert('x')</script>"
                try await Self.record(client, user: "mallory", model: attack, event: "e1")
                let browser = try await DashboardBrowser.signIn(client, key: adminKey)
                for uri in ["/dashboard/t/acme", "/dashboard/t/acme/users/mallory", "/dashboard/t/acme/reports"] {
                    try await client.execute(uri: uri, method: .get, headers: browser.headers) { response in
                        #expect(response.status == .ok, "\(uri)")
                        let html = String(buffer: response.body)
                        #expect(!html.contains("<script>alert"), "\(uri)")
                        #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"), "\(uri)")
                    }
                }
            }
        }
    }

    @Test func revokingTheKeyEndsTheSessionAndSignOutDeletesIt() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                try await Self.record(client, user: "alice", event: "e1")
                let key = try await Self.createKey(client, tenant: "acme", scopes: ["usage:read", "quota:read", "quota:write"])
                let browser = try await DashboardBrowser.signIn(client, key: key.key)
                try await client.execute(uri: "/dashboard/t/acme", method: .get, headers: browser.headers) { #expect($0.status == .ok) }
                try await client.execute(uri: "/v1/tenants/acme/keys/\(key.id)", method: .delete, headers: auth(adminKey)) { #expect($0.status == .noContent) }
                try await client.execute(uri: "/dashboard/t/acme", method: .get, headers: browser.headers) { response in
                    #expect(response.status == .seeOther)
                    #expect(response.headers[.location] == "/dashboard/login")
                }
                let admin = try await DashboardBrowser.signIn(client, key: adminKey)
                try await client.execute(uri: "/dashboard/logout", method: .post, headers: admin.headers, body: DashboardBrowser.form([("csrf", admin.csrf)])) { response in
                    #expect(response.status == .seeOther)
                    #expect(DashboardBrowser.setCookie(response, "quotad_session")?.contains("Max-Age=0") == true)
                }
                try await client.execute(uri: "/dashboard/t/acme", method: .get, headers: admin.headers) { #expect($0.status == .seeOther) }
            }
        }
    }

    /// The users list's "Remaining" takes the user's active reservations off, as the API's usage view does.
    @Test func usersListRemainingCountsReservations() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let quota = #"{"limits":{"tokens":10000}}"#
                try await client.execute(uri: "/v1/tenants/acme/users/alice/quota", method: .put, headers: auth(adminKey), body: json(quota)) {
                    #expect($0.status == .ok)
                }
                try await Self.record(client, user: "alice", event: "e1")
                let reserve = #"{"user":"alice","model":"gpt-4o","input_tokens":2000,"max_output_tokens":0}"#
                try await client.execute(uri: "/v1/tenants/acme/reservations", method: .post, headers: auth(adminKey), body: json(reserve)) {
                    #expect($0.status == .created)
                }
                try await client.execute(uri: "/v1/tenants/acme/users/alice/usage", method: .get, headers: auth(adminKey)) { response in
                    #expect((object(response)["remaining"] as? [String: Any])?["tokens"] as? Int == 6500)
                }
                let browser = try await DashboardBrowser.signIn(client, key: adminKey)
                try await client.execute(uri: "/dashboard/t/acme/users", method: .get, headers: browser.headers) { response in
                    let html = String(buffer: response.body)
                    #expect(html.contains("<td class=\"num\">6,500</td>"), "\(html)")
                }
            }
        }
    }

    @Test func everyPageRendersAndTheCSVIsTheAPIs() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                for (index, user) in ["alice", "bob", "carol"].enumerated() {
                    try await Self.record(client, user: user, event: "e\(index)")
                }
                let browser = try await DashboardBrowser.signIn(client, key: adminKey)
                for uri in [
                    "/dashboard", "/dashboard/t/acme", "/dashboard/t/acme/users?q=o&sort=name&dir=asc", "/dashboard/t/acme/groups",
                    "/dashboard/t/acme/alerts", "/dashboard/t/acme/reports", "/dashboard/settings", "/dashboard/t/acme/users/alice",
                ] {
                    try await client.execute(uri: uri, method: .get, headers: browser.headers) { response in
                        #expect(response.status == .ok, "\(uri)")
                        #expect(response.headers[.contentType] == "text/html; charset=utf-8", "\(uri)")
                        #expect(response.headers[.cacheControl] == "no-store", "\(uri)")
                    }
                }
                try await client.execute(uri: "/dashboard/t/acme/users?q=o&sort=name&dir=asc", method: .get, headers: browser.headers) { response in
                    let html = String(buffer: response.body)
                    #expect(html.contains(">bob</a>") && html.contains(">carol</a>") && !html.contains(">alice</a>"))
                }
                try await client.execute(uri: "/dashboard/t/acme", method: .get, headers: browser.headers) { response in
                    let html = String(buffer: response.body)
                    #expect(html.contains("<dd data-value=\"tokens\">4,500</dd>"))
                    #expect(html.contains("role=\"img\""))
                }
                let csv = try await client.execute(uri: "/v1/tenants/acme/reports/usage?format=csv", method: .get, headers: auth(adminKey)) { String(buffer: $0.body) }
                try await client.execute(uri: "/dashboard/t/acme/reports.csv", method: .get, headers: browser.headers) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == "text/csv; charset=utf-8")
                    #expect(String(buffer: response.body) == csv)
                }
                try await client.execute(uri: "/dashboard/settings", method: .post, headers: browser.headers, body: DashboardBrowser.form([("csrf", browser.csrf), ("enabled", "on")])) {
                    #expect($0.status == .seeOther)
                }
                try await client.execute(uri: "/v1/settings/metrics", method: .get, headers: auth(adminKey)) { response in
                    #expect(object(response)["enabled"] as? Bool == true)
                    #expect(object(response)["token_statistics"] as? Bool == false)
                }
                try await client.execute(uri: "/dashboard/static/dashboard.js", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == "text/javascript; charset=utf-8")
                }
            }
        }
    }

    @Test func theUsersListRendersTenThousandUsers() async throws {
        try await withQuotaApp { app, server in
            try await app.test(.router) { client in
                try await Self.record(client, tenant: "big", user: "seed", event: "e0")
                let cycleID = try await client.execute(uri: "/v1/tenants/big/reports/usage", method: .get, headers: auth(adminKey)) {
                    try #require(object($0)["cycle_id"] as? String)
                }
                let redis = try RedisClient(url: server.url, poolSize: 1, logger: Logger(label: "test.redis"))
                try await redis.waitUntilConnected(timeout: .seconds(5))
                var arguments: [any RedisArgument] = ["q:{big}:T:r:\(cycleID)"]
                for index in 0..<10_000 {
                    let tokens = (index * 7919) % 100_000
                    arguments.append("u|user-\(index)")
                    arguments.append("\(tokens) 0 0 0 \(tokens / 2) 0 0 0 0 \(index % 50 + 1) 0 \(tokens * 1000) 0 0")
                }
                _ = try await redis.send(RedisCommand("HSET", arguments))
                await redis.shutdown()
                let browser = try await DashboardBrowser.signIn(client, key: adminKey)
                let started = ContinuousClock.now
                let html = try await client.execute(uri: "/dashboard/t/big/users?sort=tokens&dir=desc", method: .get, headers: browser.headers) { response in
                    #expect(response.status == .ok)
                    return String(buffer: response.body)
                }
                let elapsed = ContinuousClock.now - started
                print("dashboard: users page of a tenant with 10,001 users rendered in \(elapsed) (server-side: \(html.components(separatedBy: "Rendered in ").last?.prefix(12) ?? ""))")
                #expect(html.contains("of 10,001 users"))
                #expect(html.contains("Page 1 of 201"))
                #expect(html.components(separatedBy: "<tr data-filter-row>").count - 1 == 50)
                // Sorted by tokens, descending: user-5531 (149,983 tokens) first, then user-4988.
                let first = try #require(html.range(of: ">user-5531</a>"))
                let second = try #require(html.range(of: ">user-4988</a>"))
                #expect(first.lowerBound < second.lowerBound)
                #expect(html.contains("149,983"))
                let last = try await client.execute(uri: "/dashboard/t/big/users?sort=name&dir=asc&page=201", method: .get, headers: browser.headers) {
                    String(buffer: $0.body)
                }
                #expect(last.components(separatedBy: "<tr data-filter-row>").count - 1 == 1)
                let overviewStarted = ContinuousClock.now
                try await client.execute(uri: "/dashboard/t/big", method: .get, headers: browser.headers) { #expect($0.status == .ok) }
                print("dashboard: overview of a tenant with 10,001 users rendered in \(ContinuousClock.now - overviewStarted)")
            }
        }
    }
}
