public import AsyncRedis
public import TokenQuota
public import Foundation

/// Creates, lists, revokes and resolves tenant API keys in Redis.
///
/// Layout (secrets are never stored, only their SHA-256):
/// - `q:t:{<tenant>}:keys` — HASH: key id → JSON `{"hash":"<sha256 hex>","created_at":"<ISO 8601>","scopes":[…]}`
/// - `q:key:<sha256 hex>` — STRING `<tenant>|<key id>|<scope,scope,…>`: the lookup used to authenticate a
///   request (keys stored before scopes existed have no third part and get ``KeyScope/defaults``).
///
/// Creation writes the listing first, then the lookup; revocation deletes the lookup first, then the
/// listing, so a key is never usable without being listed (and revocable).
public struct TenantKeyStore: Sendable {
    /// The client the store talks through.
    public let client: RedisClient
    let cache: KeyLookupCache

    /// Creates a store; positive lookups are cached in-process for `cacheTTL` (capped at 1 s; zero disables).
    public init(client: RedisClient, cacheTTL: Duration = .seconds(1)) {
        self.client = client
        self.cache = KeyLookupCache(ttl: cacheTTL)
    }

    /// The prefix of every tenant key.
    public static let keyPrefix = "qk_"

    static func listingKey(_ tenant: String) -> String { "q:t:{\(tenant)}:keys" }
    static func lookupKey(_ digestHex: String) -> String { "q:key:\(digestHex)" }

    /// Creates a key for `tenant` and returns its record and the secret (shown once, never stored).
    public func create(
        tenant: String, scopes: Set<KeyScope> = KeyScope.defaults, now: Date = Date()
    ) async throws(QuotaError) -> (record: TenantKeyRecord, secret: String) {
        var generator = SystemRandomNumberGenerator()
        let secretBytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let idBytes = (0..<8).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let secret = Self.keyPrefix + Self.base64URL(secretBytes)
        let id = "k_" + SecretDigest.hex(idBytes)
        let digest = SecretDigest.hex(SecretDigest.sha256(secret))
        let createdAt = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let names = KeyScope.names(scopes)
        let stored = StoredKey(hash: digest, createdAt: createdAt, scopes: names)
        do {
            try await client.send("HSET", Self.listingKey(tenant), id, stored.json())
            try await client.send("SET", Self.lookupKey(digest), "\(tenant)|\(id)|\(names.joined(separator: ","))")
        } catch {
            throw QuotaError(redis: error)
        }
        return (TenantKeyRecord(id: id, createdAt: createdAt, scopes: names), secret)
    }

    /// The tenant's keys, sorted by creation time then id.
    public func list(tenant: String) async throws(QuotaError) -> [TenantKeyRecord] {
        let all: [String: [UInt8]]
        do {
            all = try await client.hashGetAll(Self.listingKey(tenant))
        } catch {
            throw QuotaError(redis: error)
        }
        return all.compactMap { id, value in
            guard let stored = StoredKey(json: value) else { return nil }
            return TenantKeyRecord(id: id, createdAt: stored.createdAt, scopes: stored.scopes ?? KeyScope.names(KeyScope.defaults))
        }
        .sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    /// Revokes a key; false if the tenant has no key with that id.
    public func revoke(tenant: String, id: String) async throws(QuotaError) -> Bool {
        do {
            let reply = try await client.send("HGET", Self.listingKey(tenant), id)
            guard !reply.isNull, let bytes = reply.bytes else { return false }
            if let stored = StoredKey(json: bytes) {
                cache.evict(stored.hash)
                try await client.send("DEL", Self.lookupKey(stored.hash))
            }
            let removed = try await client.send("HDEL", Self.listingKey(tenant), id)
            return (removed.int ?? 0) > 0
        } catch {
            throw QuotaError(redis: error)
        }
    }

    /// Resolves a key digest to its tenant and key id, or nil when no such key exists.
    public func lookup(digestHex: String) async throws(QuotaError) -> (tenant: String, keyID: String, scopes: Set<KeyScope>)? {
        if let cached = cache.get(digestHex) { return cached }
        let reply: RedisReply
        do {
            reply = try await client.send("GET", Self.lookupKey(digestHex))
        } catch {
            throw QuotaError(redis: error)
        }
        guard !reply.isNull, let text = reply.text else { return nil }
        let parts = text.split(separator: "|", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2 else { return nil }
        let tenant = String(parts[0])
        let keyID = String(parts[1])
        // Unknown names (from a newer version) grant nothing; a key without the part predates scopes.
        let scopes = parts.count == 3
            ? Set(parts[2].split(separator: ",").compactMap { KeyScope(rawValue: String($0)) }) : KeyScope.defaults
        cache.put(digestHex, tenant: tenant, keyID: keyID, scopes: scopes)
        return (tenant, keyID, scopes)
    }

    /// base64url (RFC 4648 §5) without padding.
    public static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// The JSON stored per key id in `q:t:{<tenant>}:keys`.
struct StoredKey: Codable {
    var hash: String
    var createdAt: Date
    var scopes: [String]?

    enum CodingKeys: String, CodingKey {
        case hash, scopes
        case createdAt = "created_at"
    }

    init(hash: String, createdAt: Date, scopes: [String]? = nil) {
        self.hash = hash
        self.createdAt = createdAt
        self.scopes = scopes
    }

    init?(json: [UInt8]) {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let value = try? decoder.decode(StoredKey.self, from: Data(json)) else { return nil }
        self = value
    }

    func json() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? Array(encoder.encode(self))) ?? []
    }
}
