public import Foundation

/// A tenant key as stored and listed: its id and creation time (never the secret).
public struct TenantKeyRecord: Sendable, Hashable, Codable {
    /// The key id (`k_` + 16 hex digits), used to revoke it.
    public var id: String
    /// When the key was created.
    public var createdAt: Date
    /// What the key may do (``KeyScope`` names, sorted).
    public var scopes: [String]

    /// Creates a record.
    public init(id: String, createdAt: Date, scopes: [String] = KeyScope.names(KeyScope.defaults)) {
        self.id = id
        self.createdAt = createdAt
        self.scopes = scopes
    }

    enum CodingKeys: String, CodingKey {
        case id, scopes
        case createdAt = "created_at"
    }
}
