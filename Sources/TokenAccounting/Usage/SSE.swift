/// One dispatched server-sent event: its `event:` name (if any) and its `data:` lines joined by `\n`.
struct SSEEvent: Sendable, Hashable {
    /// The `event:` field, or `nil` for the default `message` event.
    var name: String?
    /// The UTF-8 bytes of the joined `data:` lines.
    var data: [UInt8]
}

/// A parser for `text/event-stream` bodies (WHATWG HTML, "server-sent events").
///
/// Lines end in `\n`, `\r\n` or `\r`; a blank line dispatches the pending event; lines starting with `:` are
/// comments; `id:` and `retry:` are ignored. Unlike a live client, a final event not followed by a blank line is
/// still dispatched, because captured bodies often lose their last line break.
enum SSEParser {
    /// Whether `bytes` (starting at `offset`, already past leading whitespace) look like an event stream.
    static func looksLikeEventStream(_ bytes: [UInt8], from offset: Int) -> Bool {
        let prefixes: [[UInt8]] = [Array("data:".utf8), Array("event:".utf8), Array("id:".utf8), Array("retry:".utf8), Array(":".utf8)]
        return prefixes.contains { prefix in
            bytes.count - offset >= prefix.count && bytes[offset..<(offset + prefix.count)].elementsEqual(prefix)
        }
    }

    /// Splits an event stream into its dispatched events, in order.
    static func events(in bytes: [UInt8]) -> [SSEEvent] {
        var events: [SSEEvent] = []
        var name: String?
        var data: [UInt8] = []
        var hasData = false

        func dispatch() {
            if hasData { events.append(SSEEvent(name: name, data: data)) }
            name = nil
            data = []
            hasData = false
        }

        var lineStart = 0
        var index = 0
        while index <= bytes.count {
            let atEnd = index == bytes.count
            guard atEnd || bytes[index] == 0x0A || bytes[index] == 0x0D else {
                index += 1
                continue
            }
            let line = bytes[lineStart..<index]
            if !atEnd, bytes[index] == 0x0D, index + 1 < bytes.count, bytes[index + 1] == 0x0A { index += 1 }
            index += 1
            lineStart = index

            if line.isEmpty {
                if !atEnd { dispatch() }
                continue
            }
            if line.first == UInt8(ascii: ":") { continue }
            let field: ArraySlice<UInt8>
            var value: ArraySlice<UInt8>
            if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
                field = line[line.startIndex..<colon]
                value = line[(colon + 1)...]
                if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
            } else {
                field = line
                value = []
            }
            if field.elementsEqual("data".utf8) {
                if hasData { data.append(0x0A) }
                data.append(contentsOf: value)
                hasData = true
            } else if field.elementsEqual("event".utf8) {
                name = String(decoding: value, as: UTF8.self)
            }
        }
        dispatch()
        return events
    }
}
