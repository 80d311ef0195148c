import NIOSSL

/// How the client speaks TLS to Redis (`rediss://`): which certificates it trusts, whether it shows one of
/// its own (mutual TLS), and whether it checks the server at all.
///
/// TLS 1.2 is the lowest version offered. The server's certificate is verified against the system trust
/// store, or against ``caFile`` alone when it is set, and its name against the host the client connects to
/// (also sent as SNI, except for an IP address, which is checked against the certificate's IP entries).
/// Every connection the client makes (standalone, Sentinel, every Cluster node) uses the same settings.
public struct RedisTLSConfiguration: Sendable, Hashable {
    /// A PEM file of the certificate authorities to trust instead of the system trust store.
    public var caFile: String?
    /// A PEM file of the client certificate (chain) for mutual TLS; needs ``keyFile``.
    public var certificateFile: String?
    /// A PEM file of the client certificate's private key; needs ``certificateFile``.
    public var keyFile: String?
    /// Skips every check of the server's certificate and name. For development only: anyone on the path can
    /// read and change the traffic.
    public var insecureSkipVerify: Bool

    /// Creates a TLS configuration; the defaults verify the server against the system trust store.
    public init(caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil, insecureSkipVerify: Bool = false) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.insecureSkipVerify = insecureSkipVerify
    }

    /// Loads the files as a connection would, so that a missing or malformed one is reported before connecting.
    ///
    /// - Throws: ``RedisError`` with code ``RedisError/Code/tlsFailed`` naming the file that cannot be read
    ///   or parsed, or a certificate given without its key (or the other way round).
    public func validate() throws(RedisError) {
        _ = try makeContext()
    }

    /// Loads the files and builds the TLS context every connection of a client shares.
    func makeContext() throws(RedisError) -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        if insecureSkipVerify {
            tls.certificateVerification = .none
        } else {
            tls.certificateVerification = .fullVerification
        }
        if let caFile {
            do {
                let roots = try NIOSSLCertificate.fromPEMFile(caFile)
                guard !roots.isEmpty else { throw RedisError(.tlsFailed, "no certificate in the CA file \(caFile)") }
                tls.trustRoots = .certificates(roots)
            } catch let error as RedisError {
                throw error
            } catch {
                throw RedisError(.tlsFailed, "cannot read the CA file \(caFile): \(error)")
            }
        }
        switch (certificateFile, keyFile) {
        case (nil, nil):
            break
        case (let certificateFile?, let keyFile?):
            do {
                tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certificateFile).map { .certificate($0) }
            } catch {
                throw RedisError(.tlsFailed, "cannot read the client certificate file \(certificateFile): \(error)")
            }
            guard !tls.certificateChain.isEmpty else {
                throw RedisError(.tlsFailed, "no certificate in the client certificate file \(certificateFile)")
            }
            do {
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem))
            } catch {
                throw RedisError(.tlsFailed, "cannot read the client key file \(keyFile): \(error)")
            }
        case (.some, nil):
            throw RedisError(.tlsFailed, "a client certificate file is given but no key file")
        case (nil, .some):
            throw RedisError(.tlsFailed, "a client key file is given but no certificate file")
        }
        do {
            return try NIOSSLContext(configuration: tls)
        } catch {
            throw RedisError(.tlsFailed, "cannot build the TLS context: \(error)")
        }
    }
}
