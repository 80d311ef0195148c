/// The events read for one write, each once (an entry can come back through the pending read and a claim).
struct ExportBatch: Sendable {
    private(set) var events: [ExportEntry] = []
    private var seen: Set<String> = []

    var count: Int { events.count }
    var isEmpty: Bool { events.isEmpty }

    /// Adds the events not in the batch yet.
    mutating func add(_ newEvents: [ExportEntry]) {
        for event in newEvents where seen.insert(event.tenant + "\u{0}" + event.streamID).inserted {
            events.append(event)
        }
    }

}
