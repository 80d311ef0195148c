import EmbeddedRedis
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct DataDirectoryLockTests {
    @Test func secondLockOnTheSameDirectoryFailsNamingTheHolder() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try DataDirectoryLock(directory: directory, displayName: "./data")
        #expect(throws: DataDirectoryLockError.self) { try DataDirectoryLock(directory: directory, displayName: "./data") }
        do {
            _ = try DataDirectoryLock(directory: directory, displayName: "./data")
        } catch {
            #expect(error.isInUse)
            #expect(error.holder == getpid())
            #expect(error.reason == "data directory ./data is in use by another quotad (pid \(getpid()))")
        }
        first.release()
        // Released: the next one gets it.
        let again = try DataDirectoryLock(directory: directory)
        again.release()
    }

    @Test func staleLockFileFromADeadOwnerDoesNotBlock() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent(DataDirectoryLock.fileName)
        try Data("999999\n".utf8).write(to: file)
        let lock = try DataDirectoryLock(directory: directory)
        #expect(try String(contentsOf: file, encoding: .utf8) == "\(getpid())\n")
        lock.release()
    }

    @Test func serverOnATakenPortSaysThePortIsInUse() throws {
        let port = try RedisServer.freePort()
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(bound == 0)
        #expect(listen(fd, 1) == 0)
        #expect { try RedisServer(port: port) } throws: { error in
            "\(error)".contains("port \(port) is in use")
        }
    }

    private func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("quotad-lock-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
