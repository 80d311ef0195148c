public import AsyncRedis
public import TokenQuota

/// The tenants that hold quotad data: the registry set `quotad:tenants` every write adds its tenant to.
public struct TenantDirectory: Sendable {
    let client: RedisClient

    /// Creates a directory over `client`.
    public init(client: RedisClient) { self.client = client }

    /// Every registered tenant id, unsorted and unvalidated (callers filter what they show).
    public func all() async throws(QuotaError) -> [String] {
        do {
            return (try await client.send("SMEMBERS", QuotaKeys.tenantRegistry).array ?? []).compactMap(\.text)
        } catch {
            throw QuotaError(redis: error)
        }
    }
}
