import Foundation

/// Random tokens (session ids, CSRF tokens) and their constant-time comparison.
public enum DashboardToken {
    /// 32 bytes from the system's secure generator, base64url without padding (43 characters).
    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return TenantKeyStore.base64URL(bytes)
    }

    /// Whether `text` has the shape of a token from ``make()`` (so nothing else reaches Redis keys).
    public static func isWellFormed(_ text: String) -> Bool {
        text.utf8.count == 43 && text.utf8.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x2D || byte == 0x5F
        }
    }

    /// Compares a presented token with the expected one in time independent of where they differ.
    public static func matches(_ presented: String?, _ expected: String) -> Bool {
        guard let presented else { return false }
        return SecretDigest.constantTimeEquals(SecretDigest.sha256(presented), SecretDigest.sha256(expected))
    }
}
