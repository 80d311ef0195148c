import Logging
import QuotaHTTP
import Synchronization
import Testing

/// The deferred-metadata handler writes what swift-log's stream handler writes.
@Suite struct DeferredMetadataLogHandlerTests {
    final class Capture: TextOutputStream, Sendable {
        let lines = Mutex<[String]>([])
        func write(_ string: String) { lines.withLock { $0.append(string) } }
    }

    /// The line without its timestamp (the first word).
    static func untimed(_ line: String) -> String {
        String(line.drop(while: { $0 != " " }))
    }

    @Test func sameOutputAsTheStreamHandler() {
        let plainOutput = Capture()
        let deferredOutput = Capture()
        func prepared(_ logger: Logger) -> Logger {
            var logger = logger
            logger.logLevel = .debug
            logger[metadataKey: "request.id"] = "r1"
            logger[metadataKey: "b"] = "2"
            return logger
        }
        let plain = prepared(Logger(label: "t") { StreamLogHandler(label: $0, stream: plainOutput, metadataProvider: nil) })
        let deferred = prepared(Logger(label: "t") {
            DeferredMetadataLogHandler(StreamLogHandler(label: $0, stream: deferredOutput, metadataProvider: nil))
        })
        for logger in [plain, deferred] {
            logger.trace("not logged")
            logger.info("plain")
            logger.warning("with metadata", metadata: ["a": "1", "b": "explicit wins"])
            logger.debug("nested", metadata: ["list": ["x", "y"], "map": ["k": "v"]])
        }
        let expected = plainOutput.lines.withLock { $0 }.map(Self.untimed)
        let actual = deferredOutput.lines.withLock { $0 }.map(Self.untimed)
        #expect(expected.count == 3)
        #expect(actual == expected)
        #expect(actual.contains { $0.contains("a=1 b=explicit wins request.id=r1") })
    }
}
