/// Turns a response body into the ordered list of JSON objects the format parsers read.
///
/// Accepted shapes:
/// - a JSON object: a non-streaming response (one event);
/// - a server-sent event stream (`data:` lines, optional `event:` lines, `data: [DONE]` terminator);
/// - a JSON array of stream events, as Gemini's REST streaming returns without `alt=sse`, where each element is
///   either the event's data object or a recorded event `{"event": name, "data": object-or-JSON-text}`;
/// - a recorded stream envelope `{"sse_events": [...]}` or `{"sse_data_events": [...]}` holding such an array.
enum UsageEventReader {
    /// Reads the events of `body`.
    ///
    /// - Throws: ``UsageParseError`` with code `bodyTooLarge`, `invalidEncoding` or `invalidJSON`.
    static func events(from body: [UInt8]) throws(UsageParseError) -> [UsageEvent] {
        guard body.count <= UsageParser.maximumBodySize else {
            throw UsageParseError(
                .bodyTooLarge,
                "the body has \(body.count) bytes, more than the \(UsageParser.maximumBodySize) accepted"
            )
        }
        try validateUTF8(body)

        var start = 0
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }  // byte order mark
        while start < body.count, isWhitespace(body[start]) { start += 1 }
        guard start < body.count else { throw UsageParseError(.invalidJSON, "the body is empty") }

        switch body[start] {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let bytes = start == 0 ? body : Array(body[start...])
            let value = try JSONReader.parse(bytes, maximumDepth: UsageParser.maximumNestingDepth)
            return try events(fromTopLevel: value)
        default:
            guard SSEParser.looksLikeEventStream(body, from: start) else {
                throw UsageParseError(.invalidJSON, "the body is neither JSON nor a server-sent event stream")
            }
            return try events(fromEventStream: Array(body[start...]))
        }
    }

    // MARK: Shapes

    private static func events(fromTopLevel value: JSONValue) throws(UsageParseError) -> [UsageEvent] {
        switch value {
        case .object(let object):
            if object["usage"] == nil {
                for key in ["sse_events", "sse_data_events"] {
                    if let recorded = object[key]?.arrayValue { return try events(fromRecorded: recorded) }
                }
            }
            return [UsageEvent(name: nil, payload: object)]
        case .array(let elements):
            return try events(fromRecorded: elements)
        default:
            throw UsageParseError(.invalidJSON, "the body must be a JSON object or an array of stream events, not \(value.typeName)")
        }
    }

    private static func events(fromRecorded elements: [JSONValue]) throws(UsageParseError) -> [UsageEvent] {
        var events: [UsageEvent] = []
        for (position, element) in elements.enumerated() {
            switch element {
            case .object(let object) where isRecordedEvent(object):
                let name = object["event"]?.stringValue
                switch object["data"] {
                case .object(let payload)?:
                    events.append(UsageEvent(name: name, payload: payload))
                case .string(let text)?:
                    guard let event = try event(fromData: Array(text.utf8), name: name, position: position) else {
                        return events
                    }
                    events.append(event)
                case .null?, nil:
                    continue
                case let other?:
                    throw UsageParseError(.invalidJSON, "stream event \(position): data must be an object or JSON text, not \(other.typeName)")
                }
            case .object(let payload):
                events.append(UsageEvent(name: nil, payload: payload))
            case .string(let text) where isDone(Array(text.utf8)):
                return events
            default:
                throw UsageParseError(.invalidJSON, "stream event \(position) must be a JSON object, not \(element.typeName)")
            }
        }
        return events
    }

    private static func events(fromEventStream bytes: [UInt8]) throws(UsageParseError) -> [UsageEvent] {
        var events: [UsageEvent] = []
        for (position, sse) in SSEParser.events(in: bytes).enumerated() {
            guard let event = try event(fromData: sse.data, name: sse.name, position: position) else { break }
            events.append(event)
        }
        return events
    }

    // MARK: Helpers

    /// Parses one event's data; returns `nil` at the `[DONE]` terminator. Blank data yields an empty payload.
    private static func event(fromData data: [UInt8], name: String?, position: Int) throws(UsageParseError) -> UsageEvent? {
        if isDone(data) { return nil }
        guard data.contains(where: { !isWhitespace($0) }) else { return UsageEvent(name: name, payload: [:]) }
        let value: JSONValue
        do {
            value = try JSONReader.parse(data, maximumDepth: UsageParser.maximumNestingDepth)
        } catch {
            throw UsageParseError(error.code, "stream event \(position): \(error.message)")
        }
        guard case .object(let payload) = value else {
            throw UsageParseError(.invalidJSON, "stream event \(position): data must be a JSON object, not \(value.typeName)")
        }
        return UsageEvent(name: name, payload: payload)
    }

    /// A recorded event wraps its data: `data` plus only SSE field names.
    private static func isRecordedEvent(_ object: [String: JSONValue]) -> Bool {
        object["data"] != nil && object.keys.allSatisfy { ["event", "data", "id", "retry"].contains($0) }
    }

    private static func isDone(_ data: [UInt8]) -> Bool {
        let trimmed = data.drop(while: isWhitespace).reversed().drop(while: isWhitespace)
        return trimmed.elementsEqual("[DONE]".utf8.reversed())
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    private static func validateUTF8(_ body: [UInt8]) throws(UsageParseError) {
        var iterator = body.makeIterator()
        var decoder = UTF8()
        var offset = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                offset += UTF8.width(scalar)
            case .emptyInput:
                return
            case .error:
                throw UsageParseError(.invalidEncoding, "the body is not valid UTF-8 (near byte \(offset))")
            }
        }
    }
}
