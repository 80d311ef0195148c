/// One JSON object of a provider response: the whole body of a non-streaming response, or one event of a stream.
struct UsageEvent: Sendable, Hashable {
    /// The server-sent event name (`event:`), when the stream carried one.
    var name: String?
    /// The event's JSON object.
    var payload: [String: JSONValue]

    /// The payload's `type` member when it is a string (Anthropic and OpenAI Responses events), else the SSE
    /// event name (which those providers set to the same value).
    var type: String? { payload["type"]?.stringValue ?? name }
}
