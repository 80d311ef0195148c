import Foundation
public import TokenAccounting

/// The body of `POST …/usage` (one item of a batch, or a reservation commit).
public struct UsageRequest: Sendable, Decodable {
    /// The end user (optional only for commits, where the reservation names the owner).
    public var user: String?
    /// The idempotency key (defaults to the reservation id for commits).
    public var eventID: String?
    /// The provider (`openai`, `anthropic`, ...).
    public var provider: String?
    /// The model; wins over the model named in `response`.
    public var model: String?
    /// The provider's raw response: a JSON value, or SSE/JSON text as a string.
    public var response: ProviderResponseBody?
    /// Canonical counts, instead of `response`.
    public var usage: TokenUsage?
    /// True when the body says `"usage": "estimate"`: the provider reported no usage (e.g. a stream without
    /// `include_usage`), so quotad estimates it from ``messages`` and ``outputText`` and marks it estimated.
    public var usageIsEstimate: Bool
    /// The prompt messages, for `"usage": "estimate"`.
    public var messages: [ChatMessage]?
    /// The generated text, for `"usage": "estimate"`.
    public var outputText: String?
    /// The reservation this usage settles.
    public var reservationID: String?
    /// The call's latency in milliseconds.
    public var latencyMilliseconds: Int?
    /// Free-form string metadata.
    public var metadata: [String: String]?
    /// True for a failed call.
    public var error: Bool?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case user, provider, model, response, usage, metadata, error, messages
        case eventID = "event_id"
        case reservationID = "reservation_id"
        case latencyMilliseconds = "latency_ms"
        case outputText = "output_text"
    }

    /// An empty body (every member absent), filled in by ``UsageRequestFastDecoder`` and the gateway.
    package init() {
        usageIsEstimate = false
    }

    /// Decodes the body; `usage` is a counts object or the string `"estimate"`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        user = try container.decodeIfPresent(String.self, forKey: .user)
        eventID = try container.decodeIfPresent(String.self, forKey: .eventID)
        provider = try container.decodeIfPresent(String.self, forKey: .provider)
        model = try container.decodeIfPresent(String.self, forKey: .model)
        switch try container.decodeIfPresent(JSONFragment.self, forKey: .response) {
        case nil: response = nil
        case .string(let text): response = .text(text)
        case let value?: response = .json(value.serialized)
        }
        if let text = try? container.decodeIfPresent(String.self, forKey: .usage) {
            guard text == "estimate" else {
                throw DecodingError.dataCorruptedError(
                    forKey: .usage, in: container, debugDescription: "expected canonical counts or the string \"estimate\""
                )
            }
            usage = nil
            usageIsEstimate = true
        } else {
            usage = try container.decodeIfPresent(TokenUsage.self, forKey: .usage)
            usageIsEstimate = false
        }
        messages = try container.decodeIfPresent([ChatMessage].self, forKey: .messages)
        outputText = try container.decodeIfPresent(String.self, forKey: .outputText)
        reservationID = try container.decodeIfPresent(String.self, forKey: .reservationID)
        latencyMilliseconds = try container.decodeIfPresent(Int.self, forKey: .latencyMilliseconds)
        metadata = try container.decodeIfPresent([String: String].self, forKey: .metadata)
        error = try container.decodeIfPresent(Bool.self, forKey: .error)
    }
}

/// A provider's response as a usage body carries it, for the provider's parser.
public enum ProviderResponseBody: Sendable, Hashable {
    /// A JSON value: the bytes as the client sent them (the one-pass decoder passes them through unparsed) or,
    /// from the strict path, the value re-serialized.
    case json([UInt8])
    /// Text in a JSON string: an SSE stream, or a JSON document sent as a string.
    case text(String)

    /// The bytes the provider's parser reads.
    public var bytes: [UInt8] {
        switch self {
        case .json(let bytes): bytes
        case .text(let text): Array(text.utf8)
        }
    }
}

extension UsageRequest: StrictJSONBody {
    /// Top-level keys of ``CodingKeys``; `usage` holds canonical count keys, `messages` `{role, content}`;
    /// `response` and `metadata` values are free-form.
    public static let keySchema: JSONKeySchema = {
        var members = Dictionary(uniqueKeysWithValues: CodingKeys.allCases.map { ($0.rawValue, JSONKeySchema.any) })
        let counts = encodedKeys(of: TokenUsage.zero)
        members[CodingKeys.usage.rawValue] = .keys(counts, integers: Set(counts))
        members[CodingKeys.latencyMilliseconds.rawValue] = .integer
        members[CodingKeys.messages.rawValue] = .chatMessages
        members[CodingKeys.metadata.rawValue] = .map(.any)
        return .object(members)
    }()
}

/// The member names a value encodes to (used to derive key schemas from `Codable` types, so the schema and
/// the type cannot drift apart).
func encodedKeys(of value: some Encodable) -> [String] {
    guard let data = try? JSONEncoder().encode(value),
          let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    else { return [] }
    return object.keys.sorted()
}
