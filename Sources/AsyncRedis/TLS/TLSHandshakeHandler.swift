import NIOCore
import NIOSSL
import NIOTLS

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Sits right after the TLS handler of a `rediss://` channel until its handshake ends: ``completed`` succeeds
/// when the handshake is done and fails — within the connect timeout, never later — with a message naming the
/// cause (a certificate that does not verify and why, a name it does not cover, a server that does not speak
/// TLS). Then it only passes everything on.
final class TLSHandshakeHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// Succeeds once the handshake is done; fails with a ``RedisError`` of code ``RedisError/Code/tlsFailed``.
    let completed: EventLoopPromise<Void>
    private let serverName: String
    private let timeout: TimeAmount
    private var timer: Scheduled<Void>?
    private var finished = false
    /// Why the server's certificate failed verification, from the verification callback.
    private var verificationProblem: String?

    init(eventLoop: any EventLoop, serverName: String, timeout: TimeAmount) {
        self.completed = eventLoop.makePromise(of: Void.self)
        self.serverName = serverName
        self.timeout = timeout
    }

    /// The TLS handler's verification callback: keeps BoringSSL's verdict and notes why a certificate failed
    /// (expired, not yet valid, or not issued by a trusted authority), for the message.
    func verify(_ result: NIOSSLVerificationResult, _ certificate: NIOSSLCertificate) -> NIOSSLVerificationResult {
        if result == .failed, verificationProblem == nil {
            let now = time(nil)
            if certificate.notValidAfter < now {
                verificationProblem = "the server's certificate expired (\(Self.render(certificate.notValidAfter)))"
            } else if certificate.notValidBefore > now {
                verificationProblem = "the server's certificate is not valid yet (from \(Self.render(certificate.notValidBefore)))"
            } else {
                verificationProblem = "the server's certificate is not issued by a trusted certificate authority "
                    + "(give the CA that signed it in redis.tls.ca_file)"
            }
        }
        return result
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let timeout = self.timeout
        let channel = context.channel
        timer = context.eventLoop.scheduleTask(in: timeout) { [weak self] in
            guard let self, !self.finished else { return }
            self.finish(RedisError(.tlsFailed, "TLS handshake with \(self.serverName) did not finish within \(timeout) "
                + "(is this a TLS port? a plain Redis port never answers a TLS hello)"))
            channel.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish(RedisError(.tlsFailed, "the connection closed during the TLS handshake"))
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event { finish(nil) }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(RedisError(.tlsFailed, tlsFailureMessage(error, serverName: serverName, verificationProblem: verificationProblem)))
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(RedisError(.tlsFailed, "\(serverName) closed the connection during the TLS handshake (is this a TLS port? does it want a client certificate?)"))
        context.fireChannelInactive()
    }

    private func finish(_ error: RedisError?) {
        guard !finished else { return }
        finished = true
        timer?.cancel()
        timer = nil
        if let error { completed.fail(error) } else { completed.succeed() }
    }

    private static func render(_ time: time_t) -> String {
        var moment = time
        var parts = tm()
        gmtime_r(&moment, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%SZ", &parts)
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

// Used only on its channel's event loop (the verification callback too runs there, inside the TLS handler).
extension TLSHandshakeHandler: @unchecked Sendable {}

/// A message for a TLS failure that says what to do; nil when `error` is not one.
func tlsFailureMessage(_ error: any Error, serverName: String, verificationProblem: String? = nil) -> String {
    let text = String(describing: error)
    if let error = error as? NIOSSLExtraError, error == .failedToValidateHostname {
        return "the server's certificate does not cover the name \(serverName) (hostname check failed): "
            + "connect by a name in its subjectAltName, or reissue the certificate"
    }
    if text.contains("CERTIFICATE_VERIFY_FAILED") {
        return "TLS handshake with \(serverName) failed: " + (verificationProblem ?? "the server's certificate did not verify")
    }
    if text.contains("WRONG_VERSION_NUMBER") || text.contains("PACKET_LENGTH_TOO_LONG") || text.contains("HTTP_REQUEST")
        || text.contains("RECORD_LENGTH_MISMATCH")
    {
        return "\(serverName) does not speak TLS on this port (is it a plain port? use redis://, or the server's tls-port)"
    }
    if text.contains("CERTIFICATE_REQUIRED") || text.contains("HANDSHAKE_FAILURE") || text.contains("BAD_CERTIFICATE")
        || text.contains("UNKNOWN_CA")
    {
        return "\(serverName) refused the TLS connection (\(text)): does it require a client certificate "
            + "(redis.tls.cert_file and redis.tls.key_file) signed by a CA it trusts?"
    }
    return "TLS with \(serverName) failed: \(text)"
}

/// Whether `error` comes from the TLS layer.
func isTLSError(_ error: any Error) -> Bool {
    error is NIOSSLError || error is NIOSSLExtraError || error is BoringSSLError
}
