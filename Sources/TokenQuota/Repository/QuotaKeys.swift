/// The Redis key schema, version 2 (see ``SchemaVersion``). Every key of a tenant shares the hash tag
/// `{tenant}`, so one script can check and change all levels (user, group, tenant) atomically, and each
/// tenant lives in one Redis Cluster slot.
///
/// | key | type | content |
/// |---|---|---|
/// | `q:{t}:u:<user>:c:<cycle>` | hash | user totals (`in cin cw cw1 out rsn ain aout wsr req err cost unp est ovr`) and per model `#<n>\|<field>`, with `@<model>` = n naming each model once (v1-migrated fields: `<model>\|<field>`) |
/// | `q:{t}:u:<user>:e:<event id>` | string | dedupe marker `<cycle>\|<cost>`, expires after the dedupe TTL |
/// | `q:{t}:u:<user>:rsv:<reservation id>` | string | the reservation id's state: `h` held, `c\|<event id>` committed, `r` released; kept for the TTL plus the dedupe TTL, so a settled id is never held again |
/// | `q:{t}:u:<user>:quota` | hash | the user's own quota: `own group tokens cost requests tpm rpm tph rph tpd rpd anchor tz tr_*` |
/// | `q:{t}:u:<user>:w` | hash | the user's rolling windows (buckets and sums) |
/// | `q:{t}:u:<user>:log` | stream | per-user audit stream of earlier versions: no longer written, it expires with its cycle |
/// | `q:{t}:g:<group>:c:<cycle>` | hash | group totals (no per-model breakdown) |
/// | `q:{t}:g:<group>:quota`, `…:w` | hash | group quota, group windows |
/// | `q:{t}:T:c:<cycle>` | hash | tenant totals and per model (as the user's) |
/// | `q:{t}:T:r:<cycle>` | hash | report rows of the tenant cycle: `u\|<user>`, `g\|<group>` → the counts `in cin cw cw1 out rsn ain aout wsr req err cost unp est` separated by spaces (migrated v1 rows: `u\|<user>\|<field>`) |
/// | `q:{t}:T:w` | hash | the tenant's rolling windows |
/// | `q:{t}:quota` | hash | the tenant aggregate quota |
/// | `q:{t}:default` | hash | the tenant's per-user default quota |
/// | `q:{t}:qe` | string | the tenant's quota epoch: changes with every quota change (user, group, aggregate, default), so cached quotas are checked by each write |
/// | `q:{t}:r` | hash | active reservations: id → `<tokens>\|<cost>\|<expires ms>\|<reserved at ms>\|<user>\|<group>` |
/// | `q:{t}:rx` | zset | reservation ids by expiry (ms, Redis's clock) |
/// | `q:{t}:rs` | hash | running totals of the active reservations: `t c n`, `u\|<user>\|t…`, `g\|<group>\|t…` |
/// | `q:{t}:x` | stream | recorded events (export source, `GET …/events`); `q:{t}:xn` their sequence counter |
/// | `q:{t}:dims` | set | the metadata keys the tenant declares as dimensions |
/// | `q:{t}:d:<day>` | hash | per-day rows `T`, `u\|<user>`, `g\|<group>`, `m\|<model>`, `um\|<user>\|<model>`, `gm\|<group>\|<model>` → the 14 report counts |
/// | `q:{t}:al` | stream | alerts (`quota.threshold`, `quota.exceeded`); `q:{t}:ae` last exceeded alert per level, subject and limit |
/// | `quotad:tenants` | set | every tenant that recorded usage (global, not tenant-tagged) |
public struct QuotaKeys: Sendable {
    private let prefix: String

    /// The keys of one tenant.
    public init(tenant: String) {
        self.prefix = "q:{\(tenant)}:"
    }

    func userCycle(_ user: String, _ cycle: String) -> String { prefix + "u:" + user + ":c:" + cycle }
    func dedupe(_ user: String, _ eventID: String) -> String { prefix + "u:" + user + ":e:" + eventID }
    func reservationState(_ user: String, _ reservationID: String) -> String { prefix + "u:" + user + ":rsv:" + reservationID }
    func userQuota(_ user: String) -> String { prefix + "u:" + user + ":quota" }
    func userWindows(_ user: String) -> String { prefix + "u:" + user + ":w" }
    func groupCycle(_ group: String, _ cycle: String) -> String { prefix + "g:" + group + ":c:" + cycle }
    func groupQuota(_ group: String) -> String { prefix + "g:" + group + ":quota" }
    func groupWindows(_ group: String) -> String { prefix + "g:" + group + ":w" }
    func tenantCycle(_ cycle: String) -> String { prefix + "T:c:" + cycle }
    func reportRows(_ cycle: String) -> String { prefix + "T:r:" + cycle }
    var tenantWindows: String { prefix + "T:w" }
    var tenantQuota: String { prefix + "quota" }
    var tenantDefault: String { prefix + "default" }
    /// The tenant's quota epoch (see `quota_epoch.lua`).
    var quotaEpoch: String { prefix + "qe" }

    /// The prefix of a level's fields in the reservation running totals (``reservationTotals``): `u|<user>|`,
    /// `g|<group>|`, or empty for the tenant (see `reservation_scopes` in `common.lua`).
    static func reservationScope(_ level: QuotaLevel, _ id: String) -> String {
        switch level {
        case .user: "u|\(id)|"
        case .group: "g|\(id)|"
        case .tenant: ""
        }
    }
    var reservations: String { prefix + "r" }
    var reservationExpiry: String { prefix + "rx" }
    var reservationTotals: String { prefix + "rs" }

    /// The tenant's stream of recorded events.
    public var events: String { prefix + "x" }
    /// The sequence counter of the tenant's recorded events.
    public var eventSequence: String { prefix + "xn" }
    /// The set of metadata keys the tenant declares as dimensions.
    public var dimensions: String { prefix + "dims" }
    /// The per-day usage rows of one day (`YYYY-MM-DD`, in the tenant's time zone).
    public func day(_ day: String) -> String { prefix + "d:" + day }
    /// The tenant's alert stream.
    public var alerts: String { prefix + "al" }
    /// When each level, subject and limit last raised a `quota.exceeded` alert.
    public var exceededAlerts: String { prefix + "ae" }
    /// The global set of tenants that recorded usage.
    public static let tenantRegistry = "quotad:tenants"

    /// The quota hash of a subject.
    func quota(_ subject: QuotaSubject) -> String {
        switch subject {
        case .tenant: tenantQuota
        case .tenantDefault: tenantDefault
        case .group(let group): groupQuota(group)
        case .user(let user): userQuota(user)
        }
    }

    /// A placeholder key in the tenant's slot, for script key positions that a call does not use (a user
    /// without a group); the scripts never touch it.
    var unused: String { prefix + "-" }
}
