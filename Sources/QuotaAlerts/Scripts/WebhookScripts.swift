import AsyncRedis

/// The Lua scripts of webhook registration and delivery (the files in `Sources/QuotaAlerts/Lua`, compiled
/// into the binary). Each runs atomically, so several quotad instances can share the work: an alert is fanned
/// out exactly once, a due delivery is claimed by one instance per lease, and an attempt's outcome is written
/// in one step.
///
/// Keys built inside the scripts (`…wd:<id>`, `…wl:<id>`) start with the tenant prefix passed as an argument,
/// so they share the declared keys' hash tag and slot.
enum WebhookScripts {
    private static func source(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
    /// Redis's `TIME` as milliseconds (`now`), prepended to the scripts that need it.
    private static let clock = source(PackageResources.clock_lua)

    /// Registers a webhook (see `register.lua`).
    static let register = RedisScript(source(PackageResources.register_lua))
    /// Fans alerts out into deliveries, each exactly once (see `fan_out.lua`).
    static let fanOut = RedisScript(clock + source(PackageResources.fan_out_lua))
    /// Claims due deliveries for one lease (see `claim.lua`).
    static let claim = RedisScript(clock + source(PackageResources.claim_lua))
    /// Records an attempt's outcome (see `complete.lua`).
    static let complete = RedisScript(clock + source(PackageResources.complete_lua))
    /// Re-queues a dead or pending delivery now (see `retry.lua`).
    static let retry = RedisScript(clock + source(PackageResources.retry_lua))
}
