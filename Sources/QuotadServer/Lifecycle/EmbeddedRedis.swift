public import EmbeddedRedis
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// quotad's own `redis-server` child (embedded mode): persistent data directory, AOF every second,
/// no eviction, loopback only.
///
/// The data directory is locked (``DataDirectoryLock``) from start to ``stop()``, so a second quotad on the
/// same directory refuses to start; the child dies with quotad, also on `kill -9`, so a restart on a pinned
/// port finds it free.
public final class EmbeddedRedis: Sendable {
    /// The running server.
    public let server: RedisServer
    private let lock: DataDirectoryLock

    /// The `redis-server` options of embedded mode.
    public static let arguments = ["--appendonly", "yes", "--appendfsync", "everysec", "--maxmemory-policy", "noeviction", "--save", ""]

    /// Starts the server (blocking work runs on its own thread).
    ///
    /// - Throws: ``ConfigurationError`` when `redis-server` is not installed, the data directory is in use by
    ///   another quotad, its port is in use, or the server does not start.
    public static func start(dataDirectory: String, port: Int?) async throws -> EmbeddedRedis {
        guard let binary = RedisServer.serverBinary(), FileManager.default.isExecutableFile(atPath: binary) else {
            throw ConfigurationError(
                "redis-server is not installed: install it (apt-get install -y redis-server) or set QUOTAD_REDIS_URL to use an external Redis"
            )
        }
        let directory = URL(fileURLWithPath: dataDirectory, isDirectory: true).standardizedFileURL
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw ConfigurationError("cannot create the data directory \(directory.path): \(error.localizedDescription)")
        }
        let lock: DataDirectoryLock
        do {
            lock = try DataDirectoryLock(directory: directory, displayName: dataDirectory)
        } catch {
            throw ConfigurationError(error.reason)
        }
        do {
            let server = try await DedicatedThread.run {
                try RedisServer(port: port, directory: directory, extraArguments: EmbeddedRedis.arguments)
            }
            return EmbeddedRedis(server: server, lock: lock)
        } catch let error as RedisServerError {
            lock.release()
            throw ConfigurationError("embedded redis-server (data directory \(dataDirectory)): \(error.description)")
        } catch {
            lock.release()
            throw error
        }
    }

    init(server: RedisServer, lock: DataDirectoryLock) {
        self.server = server
        self.lock = lock
    }

    /// The server's URL.
    public var url: String { server.url }

    /// Whether the server accepts TCP connections on its port right now.
    public func isAccepting() -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return true }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(server.port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return rc == 0
    }

    /// Restarts a dead server (reaps the old process first).
    public func restart() async throws {
        let server = self.server
        try await DedicatedThread.run {
            server.stop()
            try server.start()
        }
    }

    /// Stops the server gracefully (it flushes its AOF), then releases the data directory.
    public func stop() async {
        let server = self.server
        _ = try? await DedicatedThread.run { server.stop() }
        lock.release()
    }
}
