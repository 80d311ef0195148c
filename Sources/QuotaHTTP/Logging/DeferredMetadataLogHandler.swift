public import Logging

/// A ``StreamLogHandler`` that formats its metadata only when a message is logged.
///
/// swift-log's stream handler re-formats all of its metadata every time one key is set, and every request
/// sets one (Hummingbird's `hb.request.id`, then quotad's `request.id`) whether or not anything is logged.
/// This handler keeps the metadata as given and hands it to the stream handler with each message, so the
/// output is the stream handler's (same format, keys sorted) and a request that logs nothing formats nothing.
public struct DeferredMetadataLogHandler: LogHandler {
    private var stream: StreamLogHandler

    /// The metadata of every message, merged under the message's own (a message's value wins).
    public var metadata: Logger.Metadata = [:]

    /// Wraps `stream`, which should carry no metadata of its own.
    public init(_ stream: StreamLogHandler) {
        self.stream = stream
    }

    /// The stream handler's level.
    public var logLevel: Logger.Level {
        get { stream.logLevel }
        set { stream.logLevel = newValue }
    }

    /// The stream handler's metadata provider.
    public var metadataProvider: Logger.MetadataProvider? {
        get { stream.metadataProvider }
        set { stream.metadataProvider = newValue }
    }

    /// One metadata value.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Logs `event` through the stream handler with this handler's metadata added.
    public func log(event: LogEvent) {
        var event = event
        if !metadata.isEmpty {
            event.metadata = metadata.merging(event.metadata ?? [:]) { _, explicit in explicit }
        }
        stream.log(event: event)
    }
}
