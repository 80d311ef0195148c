import AsyncRedis
import EmbeddedRedis
import Foundation
import Logging
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct BrokenPipeSignalTests {
    /// Without the client ignoring SIGPIPE, the write below would end the whole test process.
    @Test func writingToAClosedSocketDoesNotKillTheProcess() async throws {
        var configuration = RedisConfiguration(endpoint: .tcp(host: "127.0.0.1", port: try RedisServer.freePort()))
        configuration.poolSize = 1
        let client = RedisClient(configuration: configuration, logger: Logger(label: "test.redis"))
        defer { Task { await client.shutdown() } }

        var fds: [Int32] = [-1, -1]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        close(fds[1])
        var byte: UInt8 = 1
        let written = write(fds[0], &byte, 1)
        let savedErrno = errno
        close(fds[0])
        #expect(written == -1)
        #expect(savedErrno == EPIPE)
    }
}
