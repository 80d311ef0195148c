/// The alert types a webhook can subscribe to (the `type` field of the tenant's alert stream).
public enum WebhookEventType: String, Sendable, Hashable, CaseIterable, Codable {
    /// A cycle limit's usage crossed one of the level's `alerts.thresholds_percent`.
    case quotaThreshold = "quota.threshold"
    /// A reservation was refused by a limit (at most one per level, subject and limit per minute).
    case quotaExceeded = "quota.exceeded"
}
