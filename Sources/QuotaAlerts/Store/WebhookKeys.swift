import TokenQuota

/// The Redis keys of a tenant's webhooks, all under the tenant's hash tag (one Redis Cluster slot).
///
/// | key | type | content |
/// |---|---|---|
/// | `q:{t}:wh` | hash | webhook id → JSON record (url, events, secret, created_at) |
/// | `q:{t}:wd:<delivery>` | hash | one delivery: `wh msg st n code err next last first created` and the alert's fields as `f:<field>`; expires |
/// | `q:{t}:wq` | zset | pending delivery ids by due time (ms, Redis clock); a claimed delivery is pushed a lease ahead |
/// | `q:{t}:wl:<webhook>` | list | the webhook's most recent delivery ids, newest first (capped) |
/// | `q:{t}:al` | stream | the alert outbox; consumer group `webhooks` |
/// | `quotad:webhook-tenants` | set | tenants with webhooks (global) |
public struct WebhookKeys: Sendable {
    /// The tenant.
    public let tenant: String
    /// `q:{t}:`, the prefix every key of the tenant starts with.
    public let prefix: String

    /// The keys of one tenant.
    public init(tenant: String) {
        self.tenant = tenant
        self.prefix = "q:{\(tenant)}:"
    }

    /// The hash of webhook records.
    public var webhooks: String { prefix + "wh" }
    /// The due queue of pending deliveries.
    public var queue: String { prefix + "wq" }
    /// One delivery's hash.
    public func delivery(_ id: String) -> String { prefix + "wd:" + id }
    /// A webhook's recent delivery ids.
    public func recent(_ webhookID: String) -> String { prefix + "wl:" + webhookID }
    /// The alert stream (the outbox).
    public var alerts: String { QuotaKeys(tenant: tenant).alerts }

    /// The consumer group of the delivery services on the alert stream.
    public static let consumerGroup = "webhooks"
    /// The global set of tenants having webhooks.
    public static let tenantRegistry = "quotad:webhook-tenants"
}
