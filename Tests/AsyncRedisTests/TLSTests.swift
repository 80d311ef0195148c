import AsyncRedis
import EmbeddedRedis
import Logging
import Testing

/// `rediss://` against a real `redis-server --tls-port` with certificates made by `openssl` for the run.
@Suite(.serialized) struct TLSTests {
    /// A TLS client for `host` and `server`'s port, trusting `caFile`.
    private func client(
        _ server: RedisServer, host: String = "localhost", caFile: String?, certificate: String? = nil, key: String? = nil,
        userInfo: String = "", insecure: Bool = false, poolSize: Int = 1
    ) throws -> RedisClient {
        var configuration = try RedisConfiguration(url: "rediss://\(userInfo)\(host):\(server.port)")
        configuration.tls = RedisTLSConfiguration(caFile: caFile, certificateFile: certificate, keyFile: key, insecureSkipVerify: insecure)
        configuration.poolSize = poolSize
        configuration.connectTimeout = .seconds(1)
        configuration.commandTimeout = .seconds(2)
        return RedisClient(configuration: configuration, logger: Logger(label: "test.redis.tls"))
    }

    /// The message `waitUntilConnected` fails with (nil when it connects).
    private func connectFailure(_ client: RedisClient) async -> String? {
        do {
            try await client.waitUntilConnected(timeout: .seconds(3))
            return nil
        } catch let error as RedisError {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    private func withCertificates<T>(_ body: (TestCertificates) async throws -> T) async throws -> T {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        return try await body(certificates)
    }

    @Test func verifiedRoundTripByNameAndByIPAddress() async throws {
        try await withCertificates { certificates in
            try await withTLSServer(certificates, extraArguments: ["--requirepass", "s3cret"]) { server in
                for host in ["localhost", "127.0.0.1"] {
                    let client = try client(server, host: host, caFile: certificates.caFile, userInfo: ":s3cret@", poolSize: 2)
                    defer { Task { await client.shutdown() } }
                    #expect(await connectFailure(client) == nil)
                    _ = try await client.send("SET", "tls:key", host)
                    #expect(try await client.send("GET", "tls:key").text == host)
                    await client.shutdown()
                }
            }
        }
    }

    @Test func wrongCAIsRefusedAsUntrusted() async throws {
        try await withCertificates { certificates in
            try await withTLSServer(certificates) { server in
                let client = try client(server, caFile: certificates.otherCAFile)
                let failure = await connectFailure(client)
                await client.shutdown()
                #expect(failure?.contains("not issued by a trusted certificate authority") == true, "\(failure ?? "connected")")
                #expect(failure?.contains("redis.tls.ca_file") == true)
            }
        }
    }

    @Test func systemTrustStoreRefusesATestCA() async throws {
        try await withCertificates { certificates in
            try await withTLSServer(certificates) { server in
                let client = try client(server, caFile: nil)
                let failure = await connectFailure(client)
                await client.shutdown()
                #expect(failure?.contains("not issued by a trusted certificate authority") == true, "\(failure ?? "connected")")
            }
        }
    }

    @Test func wrongHostnameIsRefused() async throws {
        try await withCertificates { certificates in
            try await withTLSServer(certificates, certificate: "wrongname.crt") { server in
                let client = try client(server, caFile: certificates.caFile)
                let failure = await connectFailure(client)
                await client.shutdown()
                #expect(failure?.contains("does not cover the name localhost") == true, "\(failure ?? "connected")")
            }
        }
    }

    @Test func expiredCertificateIsRefused() async throws {
        try await withCertificates { certificates in
            try await withTLSServer(certificates, certificate: "expired.crt") { server in
                let client = try client(server, caFile: certificates.caFile)
                let failure = await connectFailure(client)
                await client.shutdown()
                #expect(failure?.contains("certificate expired") == true, "\(failure ?? "connected")")
            }
        }
    }

    @Test func insecureSkipVerifyAcceptsAnyCertificate() async throws {
        try await withCertificates { certificates in
            try await withTLSServer(certificates, certificate: "wrongname.crt") { server in
                let client = try client(server, caFile: nil, insecure: true)
                #expect(await connectFailure(client) == nil)
                #expect(try await client.ping() == "PONG")
                await client.shutdown()
            }
        }
    }

    @Test func mutualTLSRequiredAndGiven() async throws {
        try await withCertificates { certificates in
            try await withTLSServer(certificates, requireClientCertificate: true) { server in
                let without = try client(server, caFile: certificates.caFile)
                var failure: String?
                if let connectFailure = await connectFailure(without) {
                    failure = connectFailure
                } else {
                    // TLS 1.3: the server checks the client's certificate after the client's handshake ended.
                    do {
                        _ = try await without.ping()
                    } catch {
                        failure = (error as? RedisError)?.message ?? "\(error)"
                    }
                }
                await without.shutdown()
                #expect(failure?.contains("client certificate") == true, "\(failure ?? "answered")")

                let with = try client(server, caFile: certificates.caFile, certificate: certificates.clientCertificate, key: certificates.clientKey)
                #expect(await connectFailure(with) == nil)
                #expect(try await with.ping() == "PONG")
                await with.shutdown()
            }
        }
    }

    @Test func plainClientOnATLSPortIsToldSo() async throws {
        try await withCertificates { certificates in
            try await withTLSServer(certificates) { server in
                var configuration = try RedisConfiguration(url: "redis://127.0.0.1:\(server.port)")
                configuration.poolSize = 1
                configuration.connectTimeout = .seconds(1)
                let plain = RedisClient(configuration: configuration, logger: Logger(label: "test.redis.plain"))
                var failure: String?
                do {
                    try await plain.waitUntilConnected(timeout: .seconds(3))
                    _ = try await plain.ping()
                } catch let error as RedisError {
                    failure = error.message
                }
                await plain.shutdown()
                #expect(failure?.contains("is this a TLS port? use rediss://") == true, "\(failure ?? "answered")")

                // With a password the AUTH on connect meets the same end: the start-up wait says so.
                configuration.password = "secret"
                let authenticating = RedisClient(configuration: configuration, logger: Logger(label: "test.redis.plain"))
                let startFailure = await connectFailure(authenticating)
                await authenticating.shutdown()
                #expect(startFailure?.contains("is this a TLS port? use rediss://") == true, "\(startFailure ?? "connected")")
            }
        }
    }

    @Test func tlsClientOnAPlainPortIsToldSo() async throws {
        try await withRedisServer { server in
            var configuration = try RedisConfiguration(url: "rediss://127.0.0.1:\(server.port)")
            configuration.poolSize = 1
            configuration.connectTimeout = .milliseconds(500)
            let client = RedisClient(configuration: configuration, logger: Logger(label: "test.redis.tls"))
            let failure = await connectFailure(client)
            await client.shutdown()
            let told = failure.map { $0.contains("does not speak TLS") || $0.contains("is this a TLS port?") } ?? false
            #expect(told, "\(failure ?? "connected")")
        }
    }

    @Test func unreadableCAFileIsATLSError() throws {
        let tls = RedisTLSConfiguration(caFile: "/nonexistent/ca.pem")
        #expect { try tls.validate() } throws: { error in
            (error as? RedisError)?.code == .tlsFailed && "\(error)".contains("/nonexistent/ca.pem")
        }
        #expect { try RedisTLSConfiguration(certificateFile: "/x.pem").validate() } throws: { error in
            "\(error)".contains("no key file")
        }
    }
}
