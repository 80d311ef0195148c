internal import CHiredis
import NIOCore

/// hiredis' reply parser, fed with the bytes a channel reads.
///
/// What the connection sends is bounded before hiredis allocates for it: a reply may declare at most
/// ``maximumArrayElements`` array elements in all (its nested arrays included), so a stray or hostile peer's
/// `*2000000000` is a protocol error instead of a 15 GB allocation (hiredis 0.14 allocates an array's element
/// table on reading its header). quotad's largest replies (paged stream reads, report hashes) stay far below it.
final class RESPReader {
    /// The most array elements one reply may declare: 2^24 (a 128 MiB element table at most).
    static let maximumArrayElements = 1 << 24

    private let reader: UnsafeMutablePointer<redisReader>
    private let limit: Int

    init(maximumArrayElements: Int = RESPReader.maximumArrayElements) {
        guard let reader = chiredis_bounded_reader_create(Int64(maximumArrayElements)) else {
            fatalError("hiredis could not allocate a reply reader")
        }
        self.reader = reader
        self.limit = maximumArrayElements
    }

    deinit {
        chiredis_bounded_reader_free(reader)
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
            if chiredis_bounded_reader_exceeded(reader) != 0 {
                throw RedisError(
                    .protocolError, "protocol error: a reply declares more than \(limit) array elements (or a negative count)",
                    outcomeUnknown: true)
            }
            let text = String(cString: chiredis_reader_errstr(reader))
            throw RedisError(.protocolError, "protocol error: \(text)", outcomeUnknown: true)
        }
        guard let raw else { return nil }
        defer { freeReplyObject(raw) }
        return RedisReply(copying: raw.assumingMemoryBound(to: redisReply.self))
    }
}
