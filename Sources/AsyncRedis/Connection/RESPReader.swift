internal import CHiredis
import NIOCore

/// hiredis' reply parser, fed with the bytes a channel reads.
final class RESPReader {
    private let reader: UnsafeMutablePointer<redisReader>

    init() {
        guard let reader = redisReaderCreate() else { fatalError("hiredis could not allocate a reply reader") }
        self.reader = reader
    }

    deinit {
        redisReaderFree(reader)
    }

    /// Appends bytes read from the socket.
    func feed(_ bytes: ByteBuffer) {
        bytes.withUnsafeReadableBytes { buffer in
            guard let base = buffer.baseAddress, buffer.count > 0 else { return }
            _ = redisReaderFeed(reader, base.assumingMemoryBound(to: CChar.self), buffer.count)
        }
    }

    /// The next complete reply, or nil when more bytes are needed.
    ///
    /// - Throws: ``RedisError/Code/protocolError`` (outcome unknown) when the bytes are not RESP.
    func next() throws(RedisError) -> RedisReply? {
        var raw: UnsafeMutableRawPointer? = nil
        guard redisReaderGetReply(reader, &raw) == REDIS_OK else {
            let text = String(cString: chiredis_reader_errstr(reader))
            throw RedisError(.protocolError, "protocol error: \(text)", outcomeUnknown: true)
        }
        guard let raw else { return nil }
        defer { freeReplyObject(raw) }
        return RedisReply(copying: raw.assumingMemoryBound(to: redisReply.self))
    }
}
