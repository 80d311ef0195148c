import AsyncRedis

extension RedisClient {
    /// One `SCAN` page of keys matching ARGV[1] from cursor ARGV[2], unlinked; returns the next cursor and how
    /// many keys it unlinked.
    private static let unlinkPage = """
        local page = redis.call('SCAN', ARGV[2], 'MATCH', ARGV[1], 'COUNT', 1000)
        local keys = page[2]
        for i = 1, #keys, 500 do redis.call('UNLINK', unpack(keys, i, math.min(i + 499, #keys))) end
        return {page[1], #keys}
        """

    /// Unlinks every key matching `pattern` (the keys a benchmark left on a server it did not start), a `SCAN`
    /// page per script call, so that no single command outlasts the command timeout however many keys match
    /// (one script unlinking a run's ~400k keys took longer than 2 s). Returns how many it unlinked.
    func unlinkKeys(matching pattern: String) async throws -> Int {
        var cursor = "0"
        var unlinked = 0
        repeat {
            let reply = try await send("EVAL", Self.unlinkPage, "0", pattern, cursor)
            guard let page = reply.array, page.count == 2, let next = page[0].text, let count = page[1].int else {
                throw RedisError(.unexpectedReply, "unexpected reply to the unlink script: \(reply)")
            }
            cursor = next
            unlinked += count
        } while cursor != "0"
        return unlinked
    }

    /// Whether any key matches `pattern`, by `SCAN` pages (never `KEYS`, which blocks the server and which a
    /// production ACL refuses); stops at the first page that finds one.
    func hasKeys(matching pattern: String) async throws -> Bool {
        var cursor = "0"
        repeat {
            let reply = try await send("SCAN", cursor, "MATCH", pattern, "COUNT", 1000)
            guard let page = reply.array, page.count == 2, let next = page[0].text, let keys = page[1].array else {
                throw RedisError(.unexpectedReply, "unexpected reply to SCAN: \(reply)")
            }
            if !keys.isEmpty { return true }
            cursor = next
        } while cursor != "0"
        return false
    }
}
