import QuotaHTTP
import QuotaStores
extension Authenticator {
    /// The principal of a session's key as it stands now, or nil when the key no longer exists (a tenant
    /// key revoked, an admin key removed from the configuration) or now belongs elsewhere.
    func currentPrincipal(of session: DashboardSession) async throws(APIError) -> Principal? {
        switch session.kind {
        case .admin:
            guard let digest = Self.bytes(hex: session.keyDigest), isAdminDigest(digest) else { return nil }
            return .admin
        case .tenant:
            guard let found = try await lookup(digestHex: session.keyDigest), found.tenant == session.tenant else { return nil }
            return .tenant(found.tenant, keyID: found.keyID, scopes: found.scopes)
        }
    }

    private static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count == 64 else { return nil }
        func value(_ digit: UInt8) -> UInt8? {
            switch digit {
            case 0x30...0x39: digit - 0x30
            case 0x61...0x66: digit - 0x61 + 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for index in stride(from: 0, to: 64, by: 2) {
            guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }
}
