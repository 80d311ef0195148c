import TokenQuota

/// One entry of a tenant's recorded-events stream `q:{t}:x` as the exporter reads it: its fields as written
/// (see `record_events.lua`; the API reads the same entries as `TokenQuota.RecordedEvent`).
///
/// Fields (all strings): `n` sequence number, `e` event id, `u` user, `g` group, `m` model, `pa` price entry, `p` provider,
/// `s` source, `at` occurred at (ms), `adm` admitted at (ms), `rt` recorded at (ms), `lat` latency ms ('' = unknown), `err` 0/1,
/// the non-zero counts `in cin cw cw1 out rsn ain aout wsr cost`, and `d:<name>` per declared dimension.
public struct ExportEntry: Sendable, Hashable {
    /// The tenant whose stream holds the entry.
    public var tenant: String
    /// The stream entry id (`<ms>-<seq>`), what `XACK` names.
    public var streamID: String
    /// The entry's fields, as written.
    public var fields: [String: String]

    /// Creates an event from a stream entry.
    public init(tenant: String, streamID: String, fields: [String: String]) {
        self.tenant = tenant
        self.streamID = streamID
        self.fields = fields
    }

    /// The per-tenant sequence number `n`, nil when absent or malformed.
    public var sequence: Int? { fields["n"].flatMap { Int($0) } }

    /// The event's time in ms since the epoch: `at`, else `rt`, else the stream id's time part.
    public var occurredAtMilliseconds: Int64 {
        if let at = fields["at"].flatMap({ Int64($0) }) { return at }
        if let recorded = fields["rt"].flatMap({ Int64($0) }) { return recorded }
        return Int64(streamID.prefix { $0 != "-" }) ?? 0
    }

    /// An integer field, 0 when absent or empty.
    public func count(_ name: String) -> Int {
        fields[name].flatMap { Int($0) } ?? 0
    }

    /// The prefix of the fields that carry declared dimensions (`d:<name>`).
    public static let dimensionPrefix = "d:"

    /// The InfluxDB point of this event.
    ///
    /// Tags: `tenant user group model provider source` and one tag per `d:<name>` field (named `<name>`; a
    /// dimension named like a built-in tag is left out, the built-in wins). Fields (integers):
    /// `input_tokens cached_input_tokens cache_write_tokens` (5 min + 1 h) `output_tokens reasoning_tokens
    /// cost_nano_usd latency_ms` (only when known) `error` (0/1).
    ///
    /// Timestamp: `at_ms * 1_000_000 + n mod 1_000_000` ns, so two events of one series in the same
    /// millisecond are distinct points, and the same entry sent again is the same point (InfluxDB
    /// overwrites it: no double count).
    public var point: InfluxPoint {
        var tags: [String: String] = [
            "tenant": tenant, "user": fields["u"] ?? "", "group": fields["g"] ?? "", "model": fields["m"] ?? "",
            "provider": fields["p"] ?? "", "source": fields["s"] ?? "",
        ]
        for (name, value) in fields where name.hasPrefix(Self.dimensionPrefix) {
            let dimension = String(name.dropFirst(Self.dimensionPrefix.count))
            if tags[dimension] == nil { tags[dimension] = value }
        }
        func count(_ field: UsageField) -> Int { self.count(field.rawValue) }
        var pointFields: [InfluxPoint.Field] = [
            .init(UsageField.inputTokens.apiName, count(.inputTokens)),
            .init(UsageField.cachedInputTokens.apiName, count(.cachedInputTokens)),
            .init(UsageField.cacheWriteTokens.apiName, count(.cacheWriteTokens) + count(.cacheWrite1hTokens)),
            .init(UsageField.outputTokens.apiName, count(.outputTokens)),
            .init(UsageField.reasoningTokens.apiName, count(.reasoningTokens)),
            .init(UsageField.costNanoUSD.apiName, count(.costNanoUSD)),
        ]
        if let latency = fields["lat"].flatMap({ Int($0) }) { pointFields.append(.init("latency_ms", latency)) }
        pointFields.append(.init("error", count(.errors) == 0 ? 0 : 1))
        let sequence = Int64(self.sequence ?? 0)
        let nanoseconds = occurredAtMilliseconds &* 1_000_000 &+ (sequence % 1_000_000)
        return InfluxPoint(tags: tags, fields: pointFields, timestampNanoseconds: nanoseconds)
    }
}
