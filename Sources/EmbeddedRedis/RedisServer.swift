public import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A private `redis-server` child process bound to loopback.
///
/// The child dies with this process (Linux: it gets SIGKILL when this process ends, also on `kill -9`), so
/// a restart finds the port and the data directory free. With AOF on, redis-server writes a command to its
/// AOF file before it replies, so that kill loses acknowledged writes only in the rare case where a slow
/// fsync made it postpone the write (at most 2 s, with `appendfsync everysec`).
///
/// quotad's embedded mode runs one with a persistent data directory; the integration tests and the
/// benchmarks run one on a free port with a temporary directory. It never touches a Redis it did not
/// start. `stop()` ends the process; ``withRedisServer(_:_:)`` also removes a temporary directory.
public final class RedisServer: @unchecked Sendable {
    /// The TCP port the server listens on (127.0.0.1).
    public let port: Int
    /// The server's working directory (AOF and RDB files live here).
    public let directory: URL
    /// The extra `redis-server` arguments this server was started with.
    public let extraArguments: [String]
    private let lock = NSLock()
    private var pid: pid_t?

    /// The `redis://` URL of the server (database 0).
    public var url: String { "redis://127.0.0.1:\(port)" }

    /// Starts a server and returns once it accepts connections.
    ///
    /// - Parameters:
    ///   - port: the loopback port; a free one when nil.
    ///   - directory: the working directory (AOF/RDB files); a new temporary one when nil.
    ///   - extraArguments: further options, e.g. `["--requirepass", "secret"]`; they override the defaults
    ///     (no persistence), e.g. `["--appendonly", "yes", "--appendfsync", "everysec"]`.
    public init(port: Int? = nil, directory: URL? = nil, extraArguments: [String] = []) throws {
        self.port = try port ?? RedisServer.freePort()
        self.directory = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("quotad-redis-\(UUID().uuidString)")
        self.extraArguments = extraArguments
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        try launch()
    }

    deinit {
        stop()
    }

    /// The path of the `redis-server` binary (`REDIS_SERVER` or the first in `PATH`).
    public static func serverBinary() -> String? {
        if let explicit = ProcessInfo.processInfo.environment["REDIS_SERVER"] { return explicit }
        return findInPath("redis-server")
    }

    /// Finds an executable in `PATH` (and /usr/bin, /usr/local/bin).
    public static func findInPath(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let dirs = path.split(separator: ":").map(String.init) + ["/usr/local/bin", "/usr/bin", "/usr/sbin"]
        for dir in dirs {
            let candidate = dir + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// (Re)starts the server process on the same port and directory.
    public func start() throws {
        lock.lock()
        let running = pid != nil
        lock.unlock()
        if !running { try launch() }
    }

    /// Stops the server gracefully (SIGTERM) and waits for it to exit.
    public func stop() {
        terminate(signal: SIGTERM)
    }

    /// Kills the server with SIGKILL (a crash, as far as clients can tell) and waits for it to exit.
    public func kill() {
        terminate(signal: SIGKILL)
    }

    /// Stops the process and deletes the working directory.
    public func destroy() {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    private func terminate(signal: Int32) {
        lock.lock()
        let pid = self.pid
        self.pid = nil
        lock.unlock()
        guard let pid else { return }
        Glibc.kill(pid, signal)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    }

    private func launch() throws {
        guard let binary = RedisServer.serverBinary() else {
            throw RedisServerError("redis-server not found in PATH: install it (apt-get install -y redis-server)")
        }
        // A listener left on the port (another program, or a server that is still exiting) would make
        // redis-server fail; say so instead of "did not become ready". Bounded wait for a dying one.
        if !RedisServer.waitUntilPortIsFree(port, timeout: 2) {
            throw RedisServerError("port \(port) is in use by another process (127.0.0.1:\(port)): cannot start redis-server there")
        }
        let arguments = [
            binary, "--port", String(port), "--bind", "127.0.0.1", "--dir", directory.path,
            "--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "yes",
            "--loglevel", "notice", "--logfile", "",
        ] + extraArguments
        let timeout: TimeInterval = 10
        switch BoundChildProcess.start(arguments, readyMarker: "Ready to accept connections", timeout: timeout) {
        case .ready(let pid):
            lock.withLock { self.pid = pid }
        case .failed(let reason):
            throw RedisServerError(reason)
        case .notReady(let pid, let exited, let output):
            Glibc.kill(pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            if output.contains("Address already in use") {
                throw RedisServerError("port \(port) is in use by another process (127.0.0.1:\(port)): cannot start redis-server there")
            }
            let lastLines = output.split(separator: "\n").suffix(3).joined(separator: " | ")
            if exited {
                throw RedisServerError("redis-server on port \(port) exited before it was ready: \(lastLines)")
            }
            throw RedisServerError("redis-server on port \(port) did not become ready within \(Int(timeout)) s: \(lastLines)")
        }
    }

    /// Whether nothing listens on (or holds) 127.0.0.1:`port`: a bind with SO_REUSEADDR, as redis-server
    /// does, succeeds. Waits up to `timeout` for a holder that is going away.
    public static func waitUntilPortIsFree(_ port: Int, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        for attempt in 0..<200 {
            if canBind(port) { return true }
            if Date() >= deadline { return false }
            // Wait for the condition with a short, growing pause (bounded by count and time).
            usleep(useconds_t(min(100_000, 5_000 * (attempt + 1))))
        }
        return canBind(port)
    }

    private static func canBind(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return true }
        defer { close(fd) }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return bound == 0
    }

    /// Starts a server on a free port, choosing another one (at most 5 times) when a concurrent process
    /// took the chosen port between the choice and redis-server's bind.
    public static func onFreePort(directory: URL? = nil, extraArguments: [String] = []) throws -> RedisServer {
        var attempt = 1
        while true {
            do {
                return try RedisServer(port: nil, directory: directory, extraArguments: extraArguments)
            } catch let error as RedisServerError where error.description.contains("in use by another process") && attempt < 5 {
                attempt += 1
            }
        }
    }

    /// Asks the kernel for a free loopback port.
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RedisServerError("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw RedisServerError("bind() failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw RedisServerError("getsockname() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Starts a private server, runs `body`, and destroys the server afterwards, also when `body` throws.
public func withRedisServer<T>(
    _ extraArguments: [String] = [],
    _ body: (RedisServer) async throws -> T
) async throws -> T {
    let server = try RedisServer.onFreePort(extraArguments: extraArguments)
    do {
        let result = try await body(server)
        server.destroy()
        return result
    } catch {
        server.destroy()
        throw error
    }
}

/// A test server could not be started.
public struct RedisServerError: Error, CustomStringConvertible {
    /// What went wrong.
    public var description: String
    init(_ description: String) { self.description = description }
}
