import AsyncHTTPClient
import EmbeddedRedis
import Foundation
import NIOCore
import NIOHTTP1

/// A private InfluxDB 1.x (`influxd` from the Debian package `influxdb`) on free loopback ports, with its
/// configuration, metadata, data and WAL in a temporary directory. ``stop()`` and ``start()`` restart it on
/// the same ports and directories; ``withInfluxDB(_:)`` removes everything afterwards, also on failure.
final class InfluxDBServer: @unchecked Sendable {
    let httpPort: Int
    let rpcPort: Int
    let directory: URL
    private let lock = NSLock()
    private var process: Process?

    /// The path of `influxd`, or nil when it is not installed.
    static let binary: String? = RedisServer.findInPath("influxd")

    /// The base URL of the HTTP API.
    var url: String { "http://127.0.0.1:\(httpPort)" }

    init() throws {
        httpPort = try RedisServer.freePort()
        var rpc = try RedisServer.freePort()
        while rpc == httpPort { rpc = try RedisServer.freePort() }
        rpcPort = rpc
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("quotad-influx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let configuration = """
            reporting-disabled = true
            bind-address = "127.0.0.1:\(rpcPort)"
            [meta]
              dir = "\(directory.path)/meta"
            [data]
              dir = "\(directory.path)/data"
              wal-dir = "\(directory.path)/wal"
              query-log-enabled = false
            [http]
              bind-address = "127.0.0.1:\(httpPort)"
              log-enabled = false
            [monitor]
              store-enabled = false
            [continuous_queries]
              enabled = false
            """
        try configuration.write(to: directory.appendingPathComponent("influxdb.conf"), atomically: true, encoding: .utf8)
        try start()
    }

    deinit {
        stop()
    }

    /// Starts `influxd` and returns once `/ping` answers 204 (at most 30 s).
    func start() throws {
        guard let binary = Self.binary else { throw InfluxDBServerError("influxd not found: apt-get install -y influxdb") }
        guard lock.withLock({ self.process == nil }) else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["-config", directory.appendingPathComponent("influxdb.conf").path]
        let log = directory.appendingPathComponent("influxd.log")
        if !FileManager.default.fileExists(atPath: log.path) { _ = FileManager.default.createFile(atPath: log.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        lock.withLock { self.process = process }
        let deadline = Date().addingTimeInterval(30)
        for _ in 0..<600 {
            if !process.isRunning { break }
            if Self.pings(httpPort) { return }
            if Date() >= deadline { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        stop()
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        throw InfluxDBServerError("influxd did not answer /ping on port \(httpPort): \(output.suffix(500))")
    }

    /// Stops `influxd` (SIGTERM, SIGKILL after 10 s) and waits for it to exit.
    func stop() {
        guard let process = lock.withLock({ () -> Process? in
            defer { self.process = nil }
            return self.process
        }) else { return }
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(10)
        for _ in 0..<1000 where process.isRunning && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Whether `GET /ping` answers 204.
    static func pings(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return false }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let request = Array("GET /ping HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        guard send(fd, request, request.count, 0) == request.count else { return false }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = recv(fd, &buffer, buffer.count, 0)
        guard count > 12 else { return false }
        return String(decoding: buffer[0..<count], as: UTF8.self).hasPrefix("HTTP/1.") && String(decoding: buffer[9..<12], as: UTF8.self) == "204"
    }

    /// Runs an InfluxQL statement (`POST /query`) and returns the decoded JSON answer.
    func query(_ statement: String, database: String? = nil) async throws -> [String: Any] {
        var url = URLComponents(string: self.url + "/query")!
        url.queryItems = [URLQueryItem(name: "q", value: statement)] + (database.map { [URLQueryItem(name: "db", value: $0)] } ?? [])
        var request = HTTPClientRequest(url: url.url!.absoluteString)
        request.method = .POST
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 64 << 20)
        guard response.status == .ok, let json = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] else {
            throw InfluxDBServerError("query \(statement) answered \(response.status): \(String(buffer: body).prefix(300))")
        }
        return json
    }

    /// The rows of the first series-bearing result: each row as column name → value, with the series' tags.
    func rows(_ statement: String, database: String) async throws -> [[String: Any]] {
        let json = try await query(statement, database: database)
        var rows: [[String: Any]] = []
        for result in json["results"] as? [[String: Any]] ?? [] {
            if let error = result["error"] as? String { throw InfluxDBServerError("query \(statement): \(error)") }
            for series in result["series"] as? [[String: Any]] ?? [] {
                let columns = series["columns"] as? [String] ?? []
                let tags = series["tags"] as? [String: String] ?? [:]
                for values in series["values"] as? [[Any]] ?? [] {
                    var row: [String: Any] = tags
                    for (column, value) in zip(columns, values) { row[column] = value }
                    rows.append(row)
                }
            }
        }
        return rows
    }
}

/// An InfluxDB test server could not be started or answered an error.
struct InfluxDBServerError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Starts a private InfluxDB, runs `body`, then stops it and deletes its directory, also when `body` throws.
func withInfluxDB<T>(_ body: (InfluxDBServer) async throws -> T) async throws -> T {
    let server = try InfluxDBServer()
    do {
        let result = try await body(server)
        server.stop()
        try? FileManager.default.removeItem(at: server.directory)
        return result
    } catch {
        server.stop()
        try? FileManager.default.removeItem(at: server.directory)
        throw error
    }
}
