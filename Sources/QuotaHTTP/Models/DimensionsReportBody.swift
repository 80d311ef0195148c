import TokenAccounting
public import TokenQuota

/// `GET …/reports/usage?by=<dimension>`: the tenant cycle's usage per value of a declared dimension.
///
/// JSON: `{"tenant","cycle_id","cycle","dimension","rows":[{"value","totals"}]}`, rows sorted by value.
/// CSV (``csvColumns``): `row_type=dimension` rows with `dimension`, `value`, the counts and `cost_usd`.
/// Events without the dimension are in no row, so the rows need not add up to the tenant's totals.
public struct DimensionsReportBody: Sendable, Encodable {
    let report: DimensionReport

    /// Wraps a domain report.
    public init(_ report: DimensionReport) { self.report = report }

    enum CodingKeys: String, CodingKey {
        case tenant, cycle, dimension, rows
        case cycleID = "cycle_id"
    }

    struct Row: Encodable {
        var row: ReportRow
        enum CodingKeys: String, CodingKey { case value, totals }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(row.id, forKey: .value)
            try c.encode(TotalsBody(row.totals), forKey: .totals)
        }
    }

    /// Encodes the report.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(report.tenant, forKey: .tenant)
        try c.encode(report.cycle.id, forKey: .cycleID)
        try c.encode(CycleBody(report.cycle), forKey: .cycle)
        try c.encode(report.dimension, forKey: .dimension)
        try c.encode(report.rows.map(Row.init), forKey: .rows)
    }

    /// The CSV columns, in order.
    public static let csvColumns = [
        "row_type", "tenant", "cycle", "dimension", "value", "input_tokens", "cached_input_tokens", "cache_write_tokens",
        "cache_write_1h_tokens", "output_tokens", "reasoning_tokens", "audio_input_tokens", "audio_output_tokens",
        "web_search_requests", "total_tokens", "requests", "errors", "unpriced_requests", "estimated_requests",
        "cost_nano_usd", "cost_usd",
    ]

    /// Renders the report as CSV (RFC 4180, CRLF line ends, fields escaped as the tenant report's).
    public var csv: String {
        var lines = [Self.csvColumns.joined(separator: ",")]
        for row in report.rows {
            let totals = row.totals
            let u = totals.usage
            let counts = [
                u.inputTokens, u.cachedInputTokens, u.cacheWriteTokens, u.cacheWrite1hTokens, u.outputTokens, u.reasoningTokens,
                u.audioInputTokens, u.audioOutputTokens, u.webSearchRequests, totals.tokens, totals.requests, totals.errors,
                totals.unpricedRequests, totals.estimatedRequests, totals.costNanoUSD,
            ]
            let fields = ["dimension", ReportsController.escape(report.tenant), ReportsController.escape(report.cycle.id),
                          ReportsController.escape(report.dimension), ReportsController.escape(row.id)]
                + counts.map { String($0) } + [DecimalUSD.string(fromNanoUSD: totals.costNanoUSD)]
            lines.append(fields.joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }
}
