/// One page of a tenant's recorded events and where to resume.
public struct EventPage: Sendable, Hashable {
    /// The events after the requested cursor, oldest first.
    public var events: [RecordedEvent]
    /// The cursor to pass next: the last event's, or the requested one when the page is empty.
    public var next: EventCursor

    /// Creates a page.
    public init(events: [RecordedEvent], next: EventCursor) {
        self.events = events
        self.next = next
    }
}
