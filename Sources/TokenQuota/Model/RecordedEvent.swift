public import TokenAccounting

/// One entry of a tenant's recorded-event stream (`q:{t}:x`), as the record script wrote it.
public struct RecordedEvent: Sendable, Hashable {
    /// The entry's position (its stream id): resume after it.
    public var cursor: EventCursor
    /// The tenant's event sequence number (1, 2, 3 …): a gap means events were trimmed before being read.
    public var sequence: Int
    /// The event id.
    public var eventID: String
    /// The user.
    public var user: String
    /// The user's group when recorded (nil: none).
    public var group: String?
    /// The model.
    public var model: String
    /// The price entry that matched the model (nil: unpriced, or recorded before quotad kept it).
    public var pricedAs: String?
    /// The provider (nil: unknown).
    public var provider: String?
    /// Where the counts came from (`UsageSource` raw value).
    public var source: String
    /// When the call happened, milliseconds since 1970.
    public var occurredAtMilliseconds: Int
    /// When it was recorded (Redis's clock), milliseconds since 1970.
    public var recordedAtMilliseconds: Int
    /// When the call was admitted (Redis's clock): at its reservation, else when recorded; nil for events
    /// recorded before quotad kept it.
    public var admittedAtMilliseconds: Int?
    /// The call's latency in milliseconds (nil: unknown).
    public var latencyMilliseconds: Int?
    /// Whether the call failed.
    public var isError: Bool
    /// The counted token classes.
    public var usage: TokenUsage
    /// The cost in nano-USD.
    public var costNanoUSD: Int
    /// The declared dimensions present in the event's metadata: name → value.
    public var dimensions: [String: String]

    /// Creates an event.
    public init(
        cursor: EventCursor, sequence: Int, eventID: String, user: String, group: String?, model: String, provider: String?, source: String,
        occurredAtMilliseconds: Int, recordedAtMilliseconds: Int, latencyMilliseconds: Int?, isError: Bool, usage: TokenUsage,
        costNanoUSD: Int, dimensions: [String: String]
    ) {
        self.cursor = cursor
        self.sequence = sequence
        self.eventID = eventID
        self.user = user
        self.group = group
        self.model = model
        self.provider = provider
        self.source = source
        self.occurredAtMilliseconds = occurredAtMilliseconds
        self.recordedAtMilliseconds = recordedAtMilliseconds
        self.latencyMilliseconds = latencyMilliseconds
        self.isError = isError
        self.usage = usage
        self.costNanoUSD = costNanoUSD
        self.dimensions = dimensions
    }

    /// Creates an event with the price entry and admission time.
    public init(
        cursor: EventCursor, sequence: Int, eventID: String, user: String, group: String?, model: String, pricedAs: String?,
        provider: String?, source: String, occurredAtMilliseconds: Int, recordedAtMilliseconds: Int, admittedAtMilliseconds: Int?,
        latencyMilliseconds: Int?, isError: Bool, usage: TokenUsage, costNanoUSD: Int, dimensions: [String: String]
    ) {
        self.init(
            cursor: cursor, sequence: sequence, eventID: eventID, user: user, group: group, model: model, provider: provider,
            source: source, occurredAtMilliseconds: occurredAtMilliseconds, recordedAtMilliseconds: recordedAtMilliseconds,
            latencyMilliseconds: latencyMilliseconds, isError: isError, usage: usage, costNanoUSD: costNanoUSD, dimensions: dimensions
        )
        self.pricedAs = pricedAs
        self.admittedAtMilliseconds = admittedAtMilliseconds
    }

    /// Reads a stream entry's fields (see the stream layout in `QuotaKeys`): absent counts are 0, `''`
    /// group, provider and latency are nil, `d:<name>` fields are dimensions.
    public init(cursor: EventCursor, fields: [(String, String)]) {
        var values: [String: String] = [:]
        var dimensions: [String: String] = [:]
        for (name, value) in fields {
            if name.hasPrefix("d:") {
                dimensions[String(name.dropFirst(2))] = value
            } else {
                values[name] = value
            }
        }
        func count(_ name: String) -> Int { values[name].flatMap { Int($0) } ?? 0 }
        func text(_ name: String) -> String? { values[name].flatMap { $0.isEmpty ? nil : $0 } }
        self.init(
            cursor: cursor, sequence: count("n"), eventID: values["e"] ?? "", user: values["u"] ?? "", group: text("g"),
            model: values["m"] ?? "", pricedAs: text("pa"), provider: text("p"), source: values["s"] ?? "",
            occurredAtMilliseconds: count("at"), recordedAtMilliseconds: count("rt"), admittedAtMilliseconds: text("adm").flatMap { Int($0) },
            latencyMilliseconds: text("lat").flatMap { Int($0) }, isError: values["err"] == "1",
            usage: UsageField.usage { count($0.rawValue) }, costNanoUSD: count(UsageField.costNanoUSD.rawValue), dimensions: dimensions
        )
    }
}
