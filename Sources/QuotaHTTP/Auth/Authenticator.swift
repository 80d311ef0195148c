public import QuotaStores
public import Hummingbird
import Foundation

/// Establishes and checks who a request acts as, from `Authorization: Bearer <key>`.
///
/// A missing, malformed or unknown key is `401`; a valid key acting outside its rights is `403`.
/// Keys are hashed before any comparison or lookup, admin digests are compared in constant time, and
/// no key or digest is ever logged.
public struct Authenticator: Sendable {
    let adminDigests: [[UInt8]]
    /// The tenant key store.
    public let keys: TenantKeyStore

    /// Creates an authenticator for the configured admin keys and the tenant key store.
    public init(adminKeys: [String], keys: TenantKeyStore) {
        self.adminDigests = adminKeys.filter { !$0.isEmpty }.map(SecretDigest.sha256)
        self.keys = keys
    }

    /// The principal of the request's bearer key.
    public func principal(for request: Request) async throws(APIError) -> Principal {
        guard let header = request.headers[.authorization] else {
            throw APIError.unauthorized("missing API key: send Authorization: Bearer <key>")
        }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw APIError.unauthorized("malformed Authorization header: expected Bearer <key>")
        }
        return try await principal(presentedKey: String(parts[1])).principal
    }

    /// The principal of a presented key (a bearer token, or a key typed into the dashboard's sign-in form)
    /// and the key's SHA-256 (hex): trimmed, 1–512 bytes, admin digests compared in constant time, tenant
    /// keys found by their digest through the lookup cache.
    ///
    /// - Throws: `401` for an unknown, revoked or malformed key.
    package func principal(presentedKey key: String) async throws(APIError) -> (principal: Principal, digestHex: String) {
        let token = Self.trimmingWhitespace(Substring(key))
        guard (1...512).contains(token.utf8.count) else { throw APIError.unauthorized("invalid API key") }
        let digest = SecretDigest.sha256(token)
        let hex = SecretDigest.hex(digest)
        if isAdminDigest(digest) { return (.admin, hex) }
        guard token.hasPrefix(TenantKeyStore.keyPrefix), let found = try await lookup(digestHex: hex) else {
            throw APIError.unauthorized("invalid or revoked API key")
        }
        return (.tenant(found.tenant, keyID: found.keyID, scopes: found.scopes), hex)
    }

    /// The tenant key with that digest, its store's failure mapped to the HTTP answer.
    package func lookup(digestHex: String) async throws(APIError) -> (tenant: String, keyID: String, scopes: Set<KeyScope>)? {
        do { return try await keys.lookup(digestHex: digestHex) } catch { throw APIError(error) }
    }

    /// Whether `digest` is an admin key's, compared in constant time against every admin digest.
    package func isAdminDigest(_ digest: [UInt8]) -> Bool {
        var isAdmin = false
        for admin in adminDigests where SecretDigest.constantTimeEquals(admin, digest) { isAdmin = true }
        return isAdmin
    }

    /// `text` without leading and trailing whitespace (`CharacterSet.whitespaces`): ASCII spaces and tabs
    /// are trimmed directly, anything else through Foundation (whose bridging is costly on every request).
    static func trimmingWhitespace(_ text: Substring) -> String {
        guard text.utf8.allSatisfy({ $0 < 0x80 }) else { return text.trimmingCharacters(in: .whitespaces) }
        let isText: (UInt8) -> Bool = { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }
        guard let first = text.utf8.firstIndex(where: isText), let last = text.utf8.lastIndex(where: isText) else { return "" }
        return String(text[first...last])
    }

    /// Requires an admin key.
    @discardableResult
    public func requireAdmin(_ request: Request) async throws(APIError) -> Principal {
        let principal = try await principal(for: request)
        guard principal == .admin else { throw APIError.forbidden("this operation needs an admin key") }
        return principal
    }

    /// Requires an admin key or a key of `tenant` (holding `scope`, when one is named).
    @discardableResult
    public func requireTenant(_ request: Request, tenant: String, scope: KeyScope? = nil) async throws(APIError) -> Principal {
        let principal = try await principal(for: request)
        switch principal {
        case .admin:
            return principal
        case .tenant(let own, _, let scopes):
            guard own == tenant else { throw APIError.forbidden("this key may act only on its own tenant") }
            if let scope, !scopes.contains(scope) {
                throw APIError.forbidden("this key lacks the scope \(scope.rawValue)")
            }
            return principal
        }
    }
}
