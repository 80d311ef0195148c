import AsyncRedis
public import Foundation
import TokenAccounting

/// Usage history (day buckets), per-dimension cycle reports, the recorded-event stream and the declared
/// dimensions (the keys are described in ``QuotaKeys``).
extension RedisQuotaRepository: UsageHistoryRepository {
    /// How many day buckets are read concurrently (pipelined over the client's connections).
    static let dailyReadsInFlight = 64
    /// The most `HSCAN` calls one dimension report makes (at 1,000 fields each: far beyond any real cycle).
    static let dimensionScanCalls = 100_000
    /// The replace-set script (see `replace_set.lua`).
    static let replaceSet = RedisScript(String(decoding: PackageResources.replace_set_lua, as: UTF8.self))

    public func dailyUsage(
        tenant: String, from: CalendarDay?, to: CalendarDay?, row: DailyRowSelector, now: Date
    ) async throws(QuotaError) -> DailyUsageHistory {
        try Identifier.validateTenant(tenant)
        let policy = try await tenantSchedule(tenant: tenant).policy
        let last = to ?? CalendarDay(now, in: policy.timeZone)
        guard let first = from ?? last.adding(days: -29) else {
            throw QuotaError(.invalidArgument, "from: no default before \(last)")
        }
        guard first <= last else { throw QuotaError(.invalidArgument, "from (\(first)) is after to (\(last))") }
        let count = last.dayNumber - first.dayNumber + 1
        guard count <= settings.historyDays else {
            throw QuotaError(.invalidArgument, "the range holds \(count) days; at most \(settings.historyDays) (usage.history_days)")
        }
        let keys = QuotaKeys(tenant: tenant)
        let field = row.field
        let days = (0..<count).compactMap { first.adding(days: $0) }
        let client = client
        var replies = [Result<RedisReply, RedisError>?](repeating: nil, count: days.count)
        await withTaskGroup(of: (Int, Result<RedisReply, RedisError>).self) { group in
            var next = 0
            var inFlight = 0
            while next < days.count || inFlight > 0 {
                while next < days.count, inFlight < Self.dailyReadsInFlight {
                    let index = next
                    let key = keys.day(days[index].description)
                    next += 1
                    inFlight += 1
                    group.addTask {
                        do throws(RedisError) {
                            return (index, .success(try await client.send("HGET", key, field)))
                        } catch {
                            return (index, .failure(error))
                        }
                    }
                }
                guard let (index, reply) = await group.next() else { break }
                inFlight -= 1
                replies[index] = reply
            }
        }
        var usage: [DailyUsage] = []
        usage.reserveCapacity(days.count)
        for (day, reply) in zip(days, replies) {
            switch reply {
            case .success(let value): usage.append(DailyUsage(day: day, totals: Self.totals(packedRow: value.text)))
            case .failure(let error): throw mapped(error)
            case nil: throw QuotaError(.internalError, "a day bucket was not read")
            }
        }
        return DailyUsageHistory(tenant: tenant, timeZone: policy.timeZoneIdentifier, from: first, to: last, row: row, days: usage)
    }

    public func dimensionReport(tenant: String, dimension: String, cycleID: String?, now: Date) async throws(QuotaError) -> DimensionReport {
        try Identifier.validateTenant(tenant)
        try Identifier.validateDimensionName(dimension)
        let keys = QuotaKeys(tenant: tenant)
        let declaredKey = keys.dimensions
        let declared = try await redis { () async throws(RedisError) -> RedisReply in try await client.send("SISMEMBER", declaredKey, dimension) }
        guard declared.int == 1 else {
            throw QuotaError(.invalidArgument, "dimension '\(dimension)' is not declared (see GET …/dimensions)")
        }
        let cycle = try Self.cycle(cycleID, of: try await tenantSchedule(tenant: tenant), now: now)
        let rowsKey = keys.reportRows(cycle.id)
        // Dimension names hold no glob characters, so the pattern matches exactly the dimension's rows.
        let prefix = "d|" + dimension + "|"
        var rows: [String: UsageTotals] = [:]
        var cursor = "0"
        for _ in 0..<Self.dimensionScanCalls {
            let current = cursor
            let reply = try await redis { () async throws(RedisError) -> RedisReply in
                try await client.send("HSCAN", rowsKey, current, "MATCH", prefix + "*", "COUNT", 1000)
            }
            guard let parts = reply.array, parts.count == 2, let nextCursor = parts[0].text, let flat = parts[1].array else {
                throw unexpectedReply(script: "HSCAN", reply)
            }
            var index = 0
            while index + 1 < flat.count {
                if let field = flat[index].text, field.hasPrefix(prefix) {
                    let value = String(field.dropFirst(prefix.count))
                    rows[value] = (rows[value] ?? UsageTotals()) + Self.totals(packedRow: flat[index + 1].text)
                }
                index += 2
            }
            cursor = nextCursor
            if cursor == "0" { break }
        }
        return DimensionReport(
            tenant: tenant, cycle: cycle, dimension: dimension,
            rows: rows.keys.sorted().map { ReportRow(id: $0, totals: rows[$0] ?? UsageTotals()) }
        )
    }

    public func events(tenant: String, after cursor: EventCursor?, limit: Int) async throws(QuotaError) -> EventPage {
        try Identifier.validateTenant(tenant)
        guard (1...1000).contains(limit) else { throw QuotaError(.invalidArgument, "limit must be 1-1000 (got \(limit))") }
        let key = QuotaKeys(tenant: tenant).events
        let start = cursor.map { "(" + $0.description } ?? "-"
        let reply = try await redis { () async throws(RedisError) -> RedisReply in
            try await client.send("XRANGE", key, start, "+", "COUNT", limit)
        }
        var events: [RecordedEvent] = []
        for entry in reply.array ?? [] {
            guard let parts = entry.array, parts.count == 2, let id = parts[0].text.flatMap(EventCursor.init), let flat = parts[1].array else {
                throw unexpectedReply(script: "XRANGE", reply)
            }
            var fields: [(String, String)] = []
            var index = 0
            while index + 1 < flat.count {
                if let name = flat[index].text, let value = flat[index + 1].text { fields.append((name, value)) }
                index += 2
            }
            events.append(RecordedEvent(cursor: id, fields: fields))
        }
        return EventPage(events: events, next: events.last?.cursor ?? cursor ?? .start)
    }

    public func dimensions(tenant: String) async throws(QuotaError) -> [String] {
        try Identifier.validateTenant(tenant)
        let key = QuotaKeys(tenant: tenant).dimensions
        let reply = try await redis { () async throws(RedisError) -> RedisReply in try await client.send("SMEMBERS", key) }
        return (reply.array ?? []).compactMap(\.text).sorted()
    }

    public func setDimensions(tenant: String, _ names: [String]) async throws(QuotaError) -> [String] {
        try Identifier.validateTenant(tenant)
        let normalized = try DeclaredDimensions.normalized(names)
        _ = try await run(Self.replaceSet, keys: [QuotaKeys(tenant: tenant).dimensions], arguments: normalized.map { $0 as any RedisArgument })
        return normalized
    }

    /// Totals from a packed row (the counts of ``UsageField/rowFields`` separated by spaces); nil or malformed
    /// counts are zero.
    static func totals(packedRow value: String?) -> UsageTotals {
        guard let value else { return UsageTotals() }
        var counts: [String: Int] = [:]
        for (name, number) in zip(reportRowFields, value.split(separator: " ")) { counts[name] = Int(number) ?? 0 }
        return totals(from: counts)
    }
}
