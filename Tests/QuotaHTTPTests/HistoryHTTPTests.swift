import AsyncRedis
import EmbeddedRedis
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import QuotaHTTP
import Testing

/// `GET …/usage/daily`, `GET|PUT …/dimensions`, `GET …/reports/usage?by=`, `GET …/events` and the usage
/// views' `forecast`, over a real Redis.
@Suite struct HistoryHTTPTests {
    /// A client of the test's Redis, for writing what the record path writes.
    static func withRedis<T>(_ server: RedisServer, _ body: (RedisClient) async throws -> T) async throws -> T {
        let client = try RedisClient(url: server.url, poolSize: 1, logger: Logger(label: "test.redis"))
        try await client.waitUntilConnected(timeout: .seconds(5))
        do {
            let result = try await body(client)
            await client.shutdown()
            return result
        } catch {
            await client.shutdown()
            throw error
        }
    }

    /// A packed row: the 14 counts `in cin cw cw1 out rsn ain aout wsr req err cost unp est`.
    static func row(_ counts: [Int]) -> String { counts.map(String.init).joined(separator: " ") }

    @Test func dailyUsageListsEveryDayOfTheRange() async throws {
        try await withQuotaApp { app, server in
            try await Self.withRedis(server) { redis in
                try await redis.send("HSET", "q:{acme}:d:2025-03-01", "u|alice", Self.row([60, 10, 0, 0, 30, 5, 0, 0, 0, 2, 1, 1_500_000_001, 0, 0]))
                try await redis.send("HSET", "q:{acme}:d:2025-03-03", "um|alice|gpt-4o", Self.row([7, 0, 0, 0, 3, 0, 0, 0, 0, 1, 0, 5, 0, 0]))
            }
            try await app.test(.router) { client in
                try await client.execute(uri: "/v1/tenants/acme/usage/daily?from=2025-03-01&to=2025-03-03&user=alice", method: .get, headers: auth(adminKey)) { response in
                    #expect(response.status == .ok)
                    let body = object(response)
                    #expect(body["tenant"] as? String == "acme")
                    #expect(body["time_zone"] as? String == "UTC")
                    #expect(body["from"] as? String == "2025-03-01")
                    #expect(body["to"] as? String == "2025-03-03")
                    #expect(body["user"] as? String == "alice")
                    #expect(body["group"] is NSNull)
                    let days = try #require(body["days"] as? [[String: Any]])
                    #expect(days.map { $0["date"] as? String } == ["2025-03-01", "2025-03-02", "2025-03-03"])
                    #expect(days[0]["input_tokens"] as? Int == 60)
                    #expect(days[0]["cached_input_tokens"] as? Int == 10)
                    #expect(days[0]["output_tokens"] as? Int == 30)
                    #expect(days[0]["reasoning_tokens"] as? Int == 5)
                    #expect(days[0]["total_tokens"] as? Int == 90)
                    #expect(days[0]["requests"] as? Int == 2)
                    #expect(days[0]["errors"] as? Int == 1)
                    #expect(days[0]["cost_nano_usd"] as? Int == 1_500_000_001)
                    #expect(days[0]["cost_usd"] as? String == "1.500000001")
                    #expect(days[1]["requests"] as? Int == 0)
                    #expect(days[1]["cost_usd"] as? String == "0.00")
                    // The user's row, not the user's model row.
                    #expect(days[2]["requests"] as? Int == 0)
                }
                try await client.execute(uri: "/v1/tenants/acme/usage/daily?from=2025-03-03&to=2025-03-03&user=alice&model=gpt-4o", method: .get, headers: auth(adminKey)) { response in
                    let days = object(response)["days"] as? [[String: Any]]
                    #expect(days?.first?["total_tokens"] as? Int == 10)
                    #expect(object(response)["model"] as? String == "gpt-4o")
                }
                try await client.execute(uri: "/v1/tenants/acme/usage/daily", method: .get, headers: auth(adminKey)) { response in
                    #expect(response.status == .ok)
                    #expect((object(response)["days"] as? [Any])?.count == 30)
                }
                for (query, message) in [
                    ("from=2025-02-30", "from must be a date YYYY-MM-DD between 1900 and 9998 (got '2025-02-30')"),
                    ("to=yesterday", "to must be a date YYYY-MM-DD between 1900 and 9998 (got 'yesterday')"),
                    ("from=2025-03-02&to=2025-03-01", "from (2025-03-02) is after to (2025-03-01)"),
                    ("from=2020-01-01&to=2025-01-01", "the range holds 1828 days; at most 400 (usage.history_days)"),
                    ("user=alice&group=g1", "give at most one of user and group"),
                ] {
                    try await client.execute(uri: "/v1/tenants/acme/usage/daily?\(query)", method: .get, headers: auth(adminKey)) { response in
                        #expect(response.status == .badRequest, "\(query)")
                        #expect((object(response)["error"] as? [String: Any])?["message"] as? String == message)
                    }
                }
                try await client.execute(uri: "/v1/tenants/acme/usage/daily", method: .get, headers: auth(nil)) { response in
                    #expect(response.status == .unauthorized)
                }
            }
        }
    }

    @Test func dimensionsAreDeclaredWithQuotaWriteAndReportedPerValue() async throws {
        try await withQuotaApp { app, server in
            try await app.test(.router) { client in
                let reader = try await client.execute(
                    uri: "/v1/tenants/acme/keys", method: .post, headers: auth(adminKey), body: json(#"{"scopes":["quota:read","reports:read"]}"#)
                ) { try #require(object($0)["key"] as? String) }
                try await client.execute(uri: "/v1/tenants/acme/dimensions", method: .get, headers: auth(reader)) { response in
                    #expect(response.status == .ok)
                    #expect(object(response)["dimensions"] as? [String] == [])
                }
                try await client.execute(
                    uri: "/v1/tenants/acme/dimensions", method: .put, headers: auth(reader), body: json(#"{"dimensions":["feature"]}"#)
                ) { #expect($0.status == .forbidden) }
                try await client.execute(uri: "/v1/tenants/acme/reports/usage?by=feature", method: .get, headers: auth(reader)) { response in
                    #expect(response.status == .badRequest)
                    #expect(errorCode(response) == "invalid_request")
                }
                let writer = try await createKey(client, tenant: "acme").key
                try await client.execute(
                    uri: "/v1/tenants/acme/dimensions", method: .put, headers: auth(writer), body: json(#"{"dimensions":["feature","conversation_id"]}"#)
                ) { response in
                    #expect(response.status == .ok)
                    #expect(object(response)["dimensions"] as? [String] == ["conversation_id", "feature"])
                }
                for bad in [#"{"dimensions":["no spaces"]}"#, #"{"dimensions":"feature"}"#, #"{"dimension":["feature"]}"#, "{}"] {
                    try await client.execute(uri: "/v1/tenants/acme/dimensions", method: .put, headers: auth(writer), body: json(bad)) { response in
                        #expect(response.status == .badRequest, "\(bad)")
                    }
                }
                try await client.execute(uri: "/v1/tenants/acme/dimensions", method: .get, headers: auth(reader)) { response in
                    #expect(object(response)["dimensions"] as? [String] == ["conversation_id", "feature"])
                }

                let cycle = try await client.execute(uri: "/v1/tenants/acme/reports/usage", method: .get, headers: auth(reader)) {
                    try #require(object($0)["cycle_id"] as? String)
                }
                _ = try await Self.withRedis(server) { redis in
                    try await redis.send(
                        "HSET", "q:{acme}:T:r:\(cycle)", "d|feature|chat", Self.row([10, 0, 0, 0, 5, 0, 0, 0, 0, 2, 0, 300, 0, 0]),
                        "d|feature|=sum(A1)", Self.row([1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 7, 0, 0]),
                        "d|conversation_id|c-1", Self.row([9, 0, 0, 0, 9, 0, 0, 0, 0, 9, 0, 9, 0, 0])
                    )
                }
                try await client.execute(uri: "/v1/tenants/acme/reports/usage?by=feature", method: .get, headers: auth(reader)) { response in
                    #expect(response.status == .ok)
                    let body = object(response)
                    #expect(body["dimension"] as? String == "feature")
                    #expect(body["cycle_id"] as? String == cycle)
                    let rows = try #require(body["rows"] as? [[String: Any]])
                    #expect(rows.map { $0["value"] as? String } == ["=sum(A1)", "chat"])
                    let chat = rows[1]["totals"] as? [String: Any]
                    #expect(chat?["total_tokens"] as? Int == 15)
                    #expect(chat?["requests"] as? Int == 2)
                    #expect(chat?["cost_nano_usd"] as? Int == 300)
                }
                try await client.execute(uri: "/v1/tenants/acme/reports/usage?by=feature&format=csv", method: .get, headers: auth(reader)) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == "text/csv; charset=utf-8")
                    let lines = text(response).components(separatedBy: "\r\n")
                    #expect(lines.count == 4)
                    #expect(lines[0] == DimensionsReportBody.csvColumns.joined(separator: ","))
                    #expect(lines[1] == "dimension,acme,\(cycle),feature,\"'=sum(A1)\",1,0,0,0,1,0,0,0,0,2,1,0,0,0,7,0.000000007")
                    #expect(lines[2] == "dimension,acme,\(cycle),feature,chat,10,0,0,0,5,0,0,0,0,15,2,0,0,0,300,0.0000003")
                    #expect(lines[3] == "")
                }
                try await client.execute(uri: "/v1/tenants/acme/reports/usage?by=no%20such", method: .get, headers: auth(reader)) { response in
                    #expect(response.status == .badRequest)
                }
            }
        }
    }

    @Test func eventsPageAsNDJSONWithEveryEventExactlyOnce() async throws {
        try await withQuotaApp { app, server in
            try await Self.withRedis(server) { redis in
                for n in 1...250 {
                    var command = RedisCommand(
                        "XADD", "q:{acme}:x", "*", "n", n, "e", "e-\(n)", "u", "alice", "g", "", "m", "gpt-4o", "p", n % 2 == 0 ? "openai" : "",
                        "s", "reported", "at", 1_740_787_200_000 + n, "rt", 1_740_787_201_000 + n, "lat", "", "err", 0, "in", n, "cin", 1, "out", 2, "cost", 1500
                    )
                    if n == 250 { command.append("d:feature"); command.append("chat") }
                    _ = try await redis.send(command)
                }
            }
            try await app.test(.router) { client in
                let reader = try await client.execute(
                    uri: "/v1/tenants/acme/keys", method: .post, headers: auth(adminKey), body: json(#"{"scopes":["usage:read"]}"#)
                ) { try #require(object($0)["key"] as? String) }
                var since = ""
                var sequences: [Int] = []
                var pageSizes: [Int] = []
                var last: [String: Any] = [:]
                for _ in 0..<10 {
                    let (lines, next) = try await client.execute(
                        uri: "/v1/tenants/acme/events?limit=100\(since.isEmpty ? "" : "&since=\(since)")", method: .get, headers: auth(reader)
                    ) { response in
                        #expect(response.status == .ok)
                        #expect(response.headers[.contentType] == "application/x-ndjson")
                        let lines = text(response).split(separator: "\n").map { line in
                            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
                        }
                        return (lines, try #require(response.headers[EventsController.nextCursorHeader]))
                    }
                    pageSizes.append(lines.count)
                    sequences += lines.compactMap { $0["sequence"] as? Int }
                    if let final = lines.last { last = final }
                    if lines.isEmpty {
                        #expect(next == since)
                        break
                    }
                    #expect(next == lines.last?["cursor"] as? String)
                    since = next
                }
                #expect(pageSizes == [100, 100, 50, 0])
                #expect(sequences == Array(1...250))
                #expect(last["event_id"] as? String == "e-250")
                #expect(last["user"] as? String == "alice")
                #expect(last["group"] is NSNull)
                #expect(last["provider"] as? String == "openai")
                #expect(last["occurred_at"] as? String == "2025-03-01T00:00:00.250Z")
                #expect(last["recorded_at"] as? String == "2025-03-01T00:00:01.250Z")
                #expect(last["latency_ms"] is NSNull)
                #expect(last["error"] as? Bool == false)
                #expect(last["input_tokens"] as? Int == 250)
                #expect(last["cached_input_tokens"] as? Int == 1)
                #expect(last["output_tokens"] as? Int == 2)
                #expect(last["total_tokens"] as? Int == 252)
                #expect(last["cost_nano_usd"] as? Int == 1500)
                #expect(last["cost_usd"] as? String == "0.0000015")
                #expect(last["dimensions"] as? [String: String] == ["feature": "chat"])

                try await client.execute(uri: "/v1/tenants/acme/events", method: .get, headers: auth(reader)) { response in
                    #expect(text(response).split(separator: "\n").count == 100)
                }
                try await client.execute(uri: "/v1/tenants/empty/events", method: .get, headers: auth(adminKey)) { response in
                    #expect(response.status == .ok)
                    #expect(response.body.readableBytes == 0)
                    #expect(response.headers[EventsController.nextCursorHeader] == "0-0")
                }
                for query in ["since=abc", "since=1-2-3", "limit=0", "limit=1001", "limit=ten"] {
                    try await client.execute(uri: "/v1/tenants/acme/events?\(query)", method: .get, headers: auth(reader)) { response in
                        #expect(response.status == .badRequest, "\(query)")
                    }
                }
                let writerOnly = try await client.execute(
                    uri: "/v1/tenants/acme/keys", method: .post, headers: auth(adminKey), body: json(#"{"scopes":["usage:write"]}"#)
                ) { try #require(object($0)["key"] as? String) }
                try await client.execute(uri: "/v1/tenants/acme/events", method: .get, headers: auth(writerOnly)) { #expect($0.status == .forbidden) }
            }
        }
    }

    @Test func usageViewsCarryAForecast() async throws {
        try await withQuotaApp { app, _ in
            try await app.test(.router) { client in
                let record = #"{"user":"alice","event_id":"e-1","model":"gpt-4o","usage":{"input_tokens":1000,"output_tokens":500}}"#
                try await client.execute(uri: "/v1/tenants/acme/usage", method: .post, headers: auth(adminKey), body: json(record)) {
                    #expect($0.status == .ok)
                }
                try await client.execute(uri: "/v1/tenants/acme/users/alice/usage", method: .get, headers: auth(adminKey)) { response in
                    let body = object(response)
                    let levels = body["levels"] as? [[String: Any]] ?? []
                    for view in [body] + levels {
                        // Null in the first hours of a cycle; otherwise at least what was used so far.
                        if let forecast = view["forecast"] as? [String: Any] {
                            #expect(forecast["projected_tokens"] as? Int ?? 0 >= 1500)
                            let reached = forecast["limit_reached_at"] as? [String: Any]
                            #expect(reached?["tokens"] is NSNull)
                            #expect(reached?["cost"] is NSNull)
                            let nano = forecast["projected_cost_nano_usd"] as? Int ?? -1
                            #expect(forecast["projected_cost_usd"] as? String == DecimalUSD.string(fromNanoUSD: nano))
                        } else {
                            #expect(view["forecast"] is NSNull)
                        }
                    }
                }
                // A past cycle has no forecast.
                try await client.execute(uri: "/v1/tenants/acme/usage?cycle=2020-01-01", method: .get, headers: auth(adminKey)) { response in
                    #expect(response.status == .ok)
                    #expect(object(response)["forecast"] is NSNull)
                }
            }
        }
    }
}
