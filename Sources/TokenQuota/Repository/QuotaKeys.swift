/// The Redis key schema. All keys of one user share the hash tag `{tenant/user}`, so every script touches
/// a single slot and runs unchanged on Redis Cluster. Tenant-wide keys use the tag `{tenant}`.
///
/// | key | type | content |
/// |---|---|---|
/// | `q:{t/u}:c:<cycle>` | hash | totals (`in cin cw cw1 out rsn ain aout wsr req err cost unp est`, each at most 2^53) and per model `<model>\|<field>` |
/// | `q:{t/u}:e:<event id>` | string | dedupe marker `<cycle>\|<cost>`, expires after the dedupe TTL |
/// | `q:{t/u}:r` | hash | active reservations: id → `<tokens>\|<cost>\|<expires ms>` |
/// | `q:{t/u}:rx` | zset | reservation ids by expiry (ms, Redis's clock) |
/// | `q:{t/u}:rs` | hash | running totals of the active reservations: `t` tokens, `c` cost, `n` count |
/// | `q:{t/u}:quota` | hash | the user's own quota: `own tokens cost requests anchor tz tr_id tr_start tr_end` |
/// | `q:{t/u}:log` | stream | optional capped audit stream of recorded events |
/// | `q:t:{t}:default` | hash | the tenant's default quota (same fields) |
/// | `q:t:{t}:users:<cycle>` | set | users with usage in that cycle (the report index; no KEYS scans) |
struct QuotaKeys {
    let tenant: String
    let user: String
    private let prefix: String

    init(tenant: String, user: String) {
        self.tenant = tenant
        self.user = user
        self.prefix = "q:{\(tenant)/\(user)}:"
    }

    func cycle(_ id: String) -> String { prefix + "c:" + id }
    func dedupe(_ eventID: String) -> String { prefix + "e:" + eventID }
    var reservations: String { prefix + "r" }
    var reservationExpiry: String { prefix + "rx" }
    var reservationTotals: String { prefix + "rs" }
    var quota: String { prefix + "quota" }
    var log: String { prefix + "log" }

    static func tenantDefault(_ tenant: String) -> String { "q:t:{\(tenant)}:default" }
    static func tenantUsers(_ tenant: String, cycle: String) -> String { "q:t:{\(tenant)}:users:\(cycle)" }
}
