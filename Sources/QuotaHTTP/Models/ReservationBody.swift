import TokenQuota
package import TokenAccounting

/// The body of `POST …/reservations`.
///
/// A reservation needs an input estimate: ``inputTokens``, or the call's ``messages`` (with an Anthropic
/// ``system``), or the provider ``request`` body as the app sends it, estimated locally. Its output is the
/// call's limit (``maxTokens``, ``maxCompletionTokens`` or ``maxOutputTokens``, in the body or in
/// ``request``); without one, the model's most output from the price list, else the configured default —
/// never 0. It is priced pessimistically, every token at the highest rate it could be charged
/// (``TokenAccounting/ModelPrice/reservationCost(inputTokens:maxOutputTokens:)``).
struct ReservationBody: StrictJSONBody, Sendable {
    var user: String
    /// The model; may instead be given as ``request``'s `model`.
    var model: String?
    var provider: String?
    /// The call's input tokens, as the caller counted them; or give ``messages`` or ``request``.
    var inputTokens: Int?
    /// The call's messages (OpenAI chat or Anthropic shape), from which the input tokens are estimated.
    var messages: [ChatMessage]?
    /// The most output tokens the call may generate (the Responses API's name).
    var maxOutputTokens: Int?
    var ttlSeconds: Int?
    var reservationID: String?
    /// The most output tokens, by the name of Anthropic's and OpenAI's chat APIs.
    var maxTokens: Int? = nil
    /// The most output tokens, by the name of OpenAI's newer chat API.
    var maxCompletionTokens: Int? = nil
    /// An Anthropic `system` prompt (a string or text blocks), counted with ``messages``.
    var system: ChatSystemPrompt? = nil
    /// The provider request body as the app sends it (chat completions, responses, Anthropic messages).
    var request: ProviderRequestBody? = nil

    static let keySchema: JSONKeySchema = {
        var members = Dictionary(uniqueKeysWithValues: CodingKeys.allCases.map { ($0.rawValue, JSONKeySchema.any) })
        for count in [CodingKeys.inputTokens, .maxOutputTokens, .maxTokens, .maxCompletionTokens, .ttlSeconds] {
            members[count.rawValue] = .integer
        }
        members[CodingKeys.messages.rawValue] = .chatMessages
        return .object(members)
    }()

    enum CodingKeys: String, CodingKey, CaseIterable {
        case user, model, provider, messages, system, request
        case inputTokens = "input_tokens"
        case maxOutputTokens = "max_output_tokens"
        case maxTokens = "max_tokens"
        case maxCompletionTokens = "max_completion_tokens"
        case ttlSeconds = "ttl_seconds"
        case reservationID = "reservation_id"
    }

    /// The output limits the body gives, by field name (in the body, then in ``request``).
    var outputLimits: [OutputLimit] {
        var limits: [OutputLimit] = []
        for (field, value) in [
            ("max_output_tokens", maxOutputTokens), ("max_tokens", maxTokens), ("max_completion_tokens", maxCompletionTokens),
            ("request.max_output_tokens", request?.maxOutputTokens), ("request.max_tokens", request?.maxTokens),
            ("request.max_completion_tokens", request?.maxCompletionTokens),
        ] {
            if let value { limits.append(OutputLimit(field: field, value: value)) }
        }
        return limits
    }
}

/// The parts of a provider request body (OpenAI chat completions or responses, Anthropic messages) a
/// reservation reads; its other members (tools, temperature, …) are the provider's and not checked, but
/// `tools` and `instructions` are text the model reads and are counted.
package struct ProviderRequestBody: Decodable, Sendable {
    package var model: String?
    var messages: [ChatMessage]?
    var system: ChatSystemPrompt?
    /// The Responses API's input (a string or a list of items), and the Embeddings API's (a string or a
    /// list of strings).
    var input: ResponsesInput?
    var instructions: String?
    var tools: ToolsText?
    package var maxTokens: Int?
    package var maxCompletionTokens: Int?
    package var maxOutputTokens: Int?

    enum CodingKeys: String, CodingKey {
        case model, messages, system, input, instructions, tools
        case maxTokens = "max_tokens"
        case maxCompletionTokens = "max_completion_tokens"
        case maxOutputTokens = "max_output_tokens"
    }

    /// Every message the model reads: instructions and system first, then the messages or input items, then
    /// the tool definitions (as text).
    package var allMessages: [ChatMessage] {
        var all: [ChatMessage] = []
        if let instructions { all.append(ChatMessage(role: "system", content: instructions)) }
        if let system { all.append(system.message) }
        all += messages ?? []
        all += input?.messages ?? []
        if let tools { all.append(ChatMessage(role: "system", content: tools.text)) }
        return all
    }
}

/// The Responses API's `input`: a string (one user message) or a list of items, each read as a message
/// (items without a role, such as function call outputs, count as their JSON text).
package struct ResponsesInput: Decodable, Sendable {
    var messages: [ChatMessage]

    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            messages = [ChatMessage(role: "user", content: text)]
            return
        }
        messages = try container.decode([ResponsesItem].self).map(\.message)
    }

    private struct ResponsesItem: Decodable {
        var message: ChatMessage

        init(from decoder: any Decoder) throws {
            if let message = try? ChatMessage(from: decoder) {
                self.message = message
                return
            }
            let container = try decoder.singleValueContainer()
            message = ChatMessage(role: "tool", content: try container.decode(ProviderJSONText.self).text)
        }
    }
}

/// A request's `tools`, counted as their JSON text.
package struct ToolsText: Decodable, Sendable {
    var text: String

    package init(from decoder: any Decoder) throws {
        text = try ProviderJSONText(from: decoder).text
    }
}
