/// One message of a chat request, as far as token estimation needs it.
///
/// Decodes the message shapes of the provider SDKs as they are sent:
/// - OpenAI chat: `content` a string, `null` or an array of parts (`text`, `image_url`, `input_audio`,
///   `file`, `refusal`), with `name`, `tool_calls` (`function.name` and `function.arguments`), `tool_call_id`,
///   `function_call` and `refusal`;
/// - Anthropic messages: `content` a string or an array of blocks (`text`, `image`, `document`, `tool_use`
///   with its `input`, `tool_result` with its own content, `thinking`, `redacted_thinking`).
///
/// Everything that is text to the model is counted as text (tool names, arguments and inputs as their JSON);
/// each image or document part counts ``imageTokenEstimate`` tokens, the upper end of both providers'
/// documented rules for an image at the default size (OpenAI high detail: 85 + 170 per 512 px tile, at most
/// 2048 × 768 px after scaling, 1,105; Anthropic: width × height / 750 for at most 1.15 megapixels, about
/// 1,600). A part of an unknown type is counted as its JSON text, never as nothing.
public struct ChatMessage: Sendable, Hashable, Codable {
    /// The tokens one image (or document page part) is estimated at.
    public static let imageTokenEstimate = 1_600

    /// The author's role (`system`, `user`, `assistant`, `tool`, ...).
    public var role: String
    /// The message's text: its content, and the text of its tool calls and tool results.
    public var content: String
    /// The author's name (OpenAI `name`), counted as text.
    public var name: String?
    /// The image and document parts, each estimated at ``imageTokenEstimate``.
    public var imageCount: Int

    /// Creates a message.
    public init(role: String, content: String, name: String? = nil, imageCount: Int = 0) {
        self.role = role
        self.content = content
        self.name = name
        self.imageCount = imageCount
    }

    private enum CodingKeys: String, CodingKey, CaseIterable {
        case role, content, name
        case toolCalls = "tool_calls"
        case toolCallID = "tool_call_id"
        case functionCall = "function_call"
        case refusal
    }

    /// The member names a message may have.
    public static let memberNames: [String] = CodingKeys.allCases.map(\.rawValue)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        role = try container.decode(String.self, forKey: .role)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        var text = ChatText()
        if let content = try container.decodeIfPresent(JSONValue.self, forKey: .content) {
            do {
                try text.add(content: content, path: "content")
            } catch {
                throw DecodingError.dataCorruptedError(forKey: .content, in: container, debugDescription: error.message)
            }
        }
        if let calls = try container.decodeIfPresent(JSONValue.self, forKey: .toolCalls) {
            guard case .array = calls else {
                throw DecodingError.dataCorruptedError(forKey: .toolCalls, in: container, debugDescription: "tool_calls must be an array")
            }
            text.addJSON(calls)
        }
        if let call = try container.decodeIfPresent(JSONValue.self, forKey: .functionCall) { text.addJSON(call) }
        if let refusal = try container.decodeIfPresent(String.self, forKey: .refusal) { text.add(refusal) }
        if let id = try container.decodeIfPresent(String.self, forKey: .toolCallID) { text.add(id) }
        content = text.text
        imageCount = text.images
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(role, forKey: .role)
        try container.encode(content, forKey: .content)
        try container.encodeIfPresent(name, forKey: .name)
    }

}

/// An Anthropic `system` value (a string or an array of text blocks), read as one system message.
public struct ChatSystemPrompt: Sendable, Hashable, Decodable {
    /// The prompt as a `system` message.
    public var message: ChatMessage

    /// Creates a prompt from its text.
    public init(_ text: String) { message = ChatMessage(role: "system", content: text) }

    public init(from decoder: any Decoder) throws {
        let value = try JSONValue(from: decoder)
        var text = ChatText()
        do {
            try text.add(content: value, path: "system")
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
        message = ChatMessage(role: "system", content: text.text, imageCount: text.images)
    }
}

/// A message content the estimator cannot read (a number where text or parts are expected).
public struct ChatContentError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was wrong, naming the member.
    public var message: String
    public var description: String { message }
}

/// Collects a message's text and images from its content.
struct ChatText {
    private(set) var text = ""
    private(set) var images = 0

    mutating func add(_ piece: String) {
        if !text.isEmpty, !piece.isEmpty { text += "\n" }
        text += piece
    }

    mutating func addJSON(_ value: JSONValue) {
        add(value.serialized)
    }

    /// A content value: a string, `null`, or an array of parts/blocks.
    mutating func add(content: JSONValue, path: String) throws(ChatContentError) {
        switch content {
        case .null: return
        case .string(let string): add(string)
        case .array(let parts):
            for part in parts { try add(part: part, path: path) }
        default:
            throw ChatContentError(message: "\(path) must be a string, null or an array of content parts")
        }
    }

    private mutating func add(part: JSONValue, path: String) throws(ChatContentError) {
        switch part {
        case .string(let string):
            add(string)
            return
        case .object:
            break
        default:
            throw ChatContentError(message: "each part of \(path) must be an object (or a string)")
        }
        let type = part["type"]?.stringValue ?? ""
        switch type {
        case "text", "input_text", "output_text":
            add(part["text"]?.stringValue ?? "")
        case "image_url", "image", "input_image", "document", "file", "input_file":
            images += 1
        case "thinking":
            add(part["thinking"]?.stringValue ?? "")
        case "refusal":
            add(part["refusal"]?.stringValue ?? "")
        case "tool_use", "server_tool_use":
            add(part["name"]?.stringValue ?? "")
            if let input = part["input"] { addJSON(input) }
        case "tool_result":
            if let inner = part["content"] { try add(content: inner, path: path + ".tool_result") }
        default:
            addJSON(part)
        }
    }
}

/// Any JSON value of a provider request (tool definitions, input items), kept as its compact JSON text so
/// that the estimator counts it as text the model reads.
public struct ProviderJSONText: Sendable, Hashable, Decodable {
    /// The value as compact JSON.
    public var text: String

    public init(from decoder: any Decoder) throws {
        text = try JSONValue(from: decoder).serialized
    }
}
