@testable import AsyncRedis
import NIOCore
import Testing

/// What a Redis connection sends is bounded before hiredis allocates for it (fuzz finding
/// `Fuzz/Regressions/resp/huge-array-header-in-nested-array`: hiredis 0.14 callocs an array's element table on
/// reading its header, so `*1888888881` asked for 15 GB before any element arrived).
@Suite struct RESPReaderTests {
    private func replies(_ text: String, limit: Int = RESPReader.maximumArrayElements) throws(RedisError) -> [RedisReply] {
        let reader = RESPReader(maximumArrayElements: limit)
        reader.feed(ByteBuffer(string: text))
        var found: [RedisReply] = []
        while let reply = try reader.next() { found.append(reply) }
        return found
    }

    @Test func theFuzzFindingIsAProtocolErrorNotAnAllocation() throws {
        let finding = "*1\r\n*1\r\n*1\r\n*1888888881\r\n"
        #expect(throws: RedisError.self) { try replies(finding) }
        do {
            _ = try replies(finding)
        } catch {
            #expect(error.code == .protocolError)
            #expect(error.message.contains("more than \(RESPReader.maximumArrayElements) array elements"))
        }
    }

    @Test func aReplyMayDeclareUpToTheLimitInAllNestedArraysIncluded() throws {
        // 2 + 3 + 3 = 8 declared elements: fits a limit of 8, not of 7.
        let nested = "*2\r\n*3\r\n:1\r\n:2\r\n:3\r\n*3\r\n:4\r\n:5\r\n:6\r\n"
        let read = try replies(nested, limit: 8)
        #expect(read == [.array([.array([.integer(1), .integer(2), .integer(3)]), .array([.integer(4), .integer(5), .integer(6)])])])
        #expect(throws: RedisError.self) { try replies(nested, limit: 7) }
    }

    @Test func eachReplyHasItsOwnBudget() throws {
        // Two replies of 3 elements each under a limit of 3: the count starts again with every reply.
        let read = try replies("*3\r\n:1\r\n:2\r\n:3\r\n*3\r\n+a\r\n$1\r\nb\r\n*-1\r\n", limit: 3)
        #expect(read == [.array([.integer(1), .integer(2), .integer(3)]), .array([.string("a"), .bulk([98]), .null])])
    }

    @Test func negativeCountsOtherThanNullAreRefused() throws {
        #expect(try replies("*-1\r\n") == [.null])
        #expect(throws: RedisError.self) { try replies("*-2\r\n") }
    }

    @Test func aHeaderSplitAcrossReadsIsStillBounded() throws {
        let reader = RESPReader(maximumArrayElements: 100)
        reader.feed(ByteBuffer(string: "*1\r\n*99"))
        #expect(try reader.next() == nil)
        reader.feed(ByteBuffer(string: "999999\r\n"))
        #expect(throws: RedisError.self) { try reader.next() }
    }
}
