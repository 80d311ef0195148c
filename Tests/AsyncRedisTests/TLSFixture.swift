import EmbeddedRedis
import Foundation

/// Certificates made for one test run with the `openssl` command in a temporary directory: a CA and a
/// second, unrelated CA; server certificates for `localhost`/127.0.0.1 (valid, expired) and for another
/// name; a client certificate for mutual TLS. ``remove()`` deletes them.
struct TestCertificates {
    let directory: URL

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
    var caFile: String { path("ca.crt") }
    var otherCAFile: String { path("other-ca.crt") }
    var clientCertificate: String { path("client.crt") }
    var clientKey: String { path("client.key") }

    /// Makes every certificate (EC P-256 keys: quick to generate).
    static func make() throws -> TestCertificates {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("quotad-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let certificates = TestCertificates(directory: directory)
        do {
            try certificates.generate()
        } catch {
            certificates.remove()
            throw error
        }
        return certificates
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }

    private func generate() throws {
        let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        for ca in ["ca", "other-ca"] {
            try openssl(["req", "-x509"] + key + ["-keyout", "\(ca).key", "-out", "\(ca).crt", "-days", "2", "-subj", "/CN=quotad test \(ca)"])
        }
        try openssl(["req"] + key + ["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"])
        try openssl(["req"] + key + ["-keyout", "client.key", "-out", "client.csr", "-subj", "/CN=quotad"])
        try write("localhost.ext", "subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        try write("other.ext", "subjectAltName=DNS:redis.invalid\n")
        try write("client.ext", "extendedKeyUsage=clientAuth\n")
        try sign("server.csr", "server.crt", days: "2", extensions: "localhost.ext")
        try sign("server.csr", "expired.crt", days: "-1", extensions: "localhost.ext")
        try sign("server.csr", "wrongname.crt", days: "2", extensions: "other.ext")
        try sign("client.csr", "client.crt", days: "2", extensions: "client.ext")
    }

    private func sign(_ request: String, _ output: String, days: String, extensions: String) throws {
        try openssl([
            "x509", "-req", "-in", request, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", output,
            "-days", days, "-extfile", extensions,
        ])
    }

    private func write(_ name: String, _ text: String) throws {
        try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    private func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: RedisServer.findInPath("openssl") ?? "/usr/bin/openssl")
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TLSFixtureError(description: "openssl \(arguments.joined(separator: " ")) failed: \(String(decoding: output, as: UTF8.self))")
        }
    }
}

/// The certificates or the TLS server could not be made.
struct TLSFixtureError: Error, CustomStringConvertible {
    var description: String
}

/// Starts a `redis-server` that listens for TLS only (`--port 0 --tls-port`), with `certificate` (a file
/// name in `certificates`) and its key, runs `body`, and destroys the server afterwards, also on failure.
func withTLSServer<T>(
    _ certificates: TestCertificates, certificate: String = "server.crt", requireClientCertificate: Bool = false,
    extraArguments: [String] = [],
    _ body: (RedisServer) async throws -> T
) async throws -> T {
    var server: RedisServer?
    var attempt = 0
    while server == nil {
        attempt += 1
        let port = try RedisServer.freePort()
        do {
            server = try RedisServer(port: port, extraArguments: [
                "--port", "0", "--tls-port", String(port),
                "--tls-cert-file", certificates.path(certificate), "--tls-key-file", certificates.path("server.key"),
                "--tls-ca-cert-file", certificates.caFile, "--tls-auth-clients", requireClientCertificate ? "yes" : "no",
            ] + extraArguments)
        } catch let error as RedisServerError where error.description.contains("in use") && attempt < 5 {
            continue
        }
    }
    guard let server else { throw TLSFixtureError(description: "no server") }
    do {
        let result = try await body(server)
        server.destroy()
        return result
    } catch {
        server.destroy()
        throw error
    }
}
