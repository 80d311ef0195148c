public import Foundation

/// A tenant key as stored and listed: its id and creation time (never the secret).
public struct TenantKeyRecord: Sendable, Hashable, Codable {
    /// The key id (`k_` + 16 hex digits), used to revoke it.
    public var id: String
    /// When the key was created.
    public var createdAt: Date

    /// Creates a record.
    public init(id: String, createdAt: Date) {
        self.id = id
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id
        case createdAt = "created_at"
    }
}
