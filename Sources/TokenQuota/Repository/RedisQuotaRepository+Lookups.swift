import AsyncRedis
public import Foundation

extension RedisQuotaRepository {
    /// Redis's time, estimated locally (see ``RedisClock``).
    public func currentTime() async -> Date {
        await clock.now(client)
    }

    /// Whether the user's dedupe marker for `eventID` exists (`EXISTS`, one round trip).
    public func isRecorded(tenant: String, user: String, eventID: String) async throws(QuotaError) -> Bool {
        try Identifier.validateTenant(tenant)
        try Identifier.validateName(user, field: "user")
        try Identifier.validateReservationID(eventID, field: "event_id")
        let key = QuotaKeys(tenant: tenant).dedupe(user, eventID)
        do {
            return try await client.send("EXISTS", key).int == 1
        } catch {
            if error.isOutcomeUnknown { throw QuotaError(.unavailable, "Redis did not answer in time") }
            throw QuotaError(.unavailable, "Redis is unavailable")
        }
    }
}
