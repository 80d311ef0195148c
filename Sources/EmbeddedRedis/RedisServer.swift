public import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A private `redis-server` child process bound to loopback.
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
        let arguments = [
            binary, "--port", String(port), "--bind", "127.0.0.1", "--dir", directory.path,
            "--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "yes",
            "--loglevel", "notice", "--logfile", "",
        ] + extraArguments
        let (pid, output) = try RedisServer.spawn(arguments)
        // Wait for the server's own "Ready to accept connections" line (bounded by a deadline).
        let ready = RedisServer.waitForReady(output, timeout: 10)
        if !ready {
            Glibc.kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            close(output)
            throw RedisServerError("redis-server on port \(port) did not become ready within 10 s")
        }
        // Keep draining its output so the server never blocks on a full pipe; ends at the server's exit.
        Thread.detachNewThread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while read(output, &buffer, buffer.count) > 0 {}
            close(output)
        }
        lock.lock()
        self.pid = pid
        lock.unlock()
    }

    /// Starts a child process with stdout and stderr on a pipe; returns its pid and the pipe's read end.
    static func spawn(_ arguments: [String]) throws -> (pid_t, Int32) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw RedisServerError("pipe() failed") }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addclose(&actions, fds[0])
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
        posix_spawn_file_actions_addclose(&actions, fds[1])
        // The calling thread may block signals (Dispatch's workers do); the child must not inherit that,
        // or SIGTERM would stay pending forever.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptySet = sigset_t()
        sigemptyset(&emptySet)
        posix_spawnattr_setsigmask(&attributes, &emptySet)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGPIPE, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var cArguments: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, arguments[0], &actions, &attributes, &cArguments, environ)
        close(fds[1])
        guard rc == 0 else {
            close(fds[0])
            throw RedisServerError("cannot start \(arguments[0]): error \(rc)")
        }
        return (pid, fds[0])
    }

    private static func waitForReady(_ fd: Int32, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        var seen = ""
        while Date() < deadline {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let remaining = Int32(max(1, deadline.timeIntervalSinceNow * 1000))
            let rc = poll(&pfd, 1, remaining)
            if rc <= 0 { continue }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { return false }
            seen += String(decoding: buffer[0..<n], as: UTF8.self)
            if seen.contains("Ready to accept connections") { return true }
        }
        return false
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
    let server = try RedisServer(extraArguments: extraArguments)
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
