extension SchemaMigration {
    /// A schema v1 key, parsed strictly (tenant and user ids as ``Identifier/validateName(_:field:)`` allows).
    enum V1Key: Hashable {
        /// `q:{t/u}:c:<cycle>`: a user's cycle totals.
        case userCycle(tenant: String, user: String, cycle: String)
        /// `q:{t/u}:e:<id>`: a dedupe marker.
        case dedupe(tenant: String, user: String, event: String)
        /// `q:{t/u}:r`: the user's active reservations.
        case reservations(tenant: String, user: String)
        /// `q:{t/u}:rx` or `q:{t/u}:rs`: reservation index and totals, rebuilt in v2 form.
        case reservationIndex(tenant: String, user: String)
        /// `q:{t/u}:quota`: the user's own quota.
        case quota(tenant: String, user: String)
        /// `q:{t/u}:log`: the audit stream.
        case log(tenant: String, user: String)
        /// `q:t:{t}:default`: the tenant's default quota.
        case tenantDefault(tenant: String)
        /// `q:t:{t}:users:<cycle>`: the v1 report index, dropped.
        case tenantUsers(tenant: String)

        /// Parses `key`, or nil when it is not a v1 data key.
        init?(_ key: String) {
            if key.hasPrefix("q:t:{") {
                guard let (tenant, rest) = Self.tag(of: key, after: 5), isName(tenant) else { return nil }
                if rest == ":default" {
                    self = .tenantDefault(tenant: tenant)
                } else if rest.hasPrefix(":users:"), rest.count > 7 {
                    self = .tenantUsers(tenant: tenant)
                } else {
                    return nil
                }
                return
            }
            guard key.hasPrefix("q:{"), let (tag, rest) = Self.tag(of: key, after: 3) else { return nil }
            let ids = tag.split(separator: "/", omittingEmptySubsequences: false)
            guard ids.count == 2, isName(ids[0]), isName(ids[1]), rest.hasPrefix(":") else { return nil }
            let tenant = String(ids[0])
            let user = String(ids[1])
            let suffix = rest.dropFirst()
            switch suffix {
            case "r": self = .reservations(tenant: tenant, user: user)
            case "rx", "rs": self = .reservationIndex(tenant: tenant, user: user)
            case "quota": self = .quota(tenant: tenant, user: user)
            case "log": self = .log(tenant: tenant, user: user)
            default:
                if suffix.hasPrefix("c:"), suffix.count > 2 {
                    self = .userCycle(tenant: tenant, user: user, cycle: String(suffix.dropFirst(2)))
                } else if suffix.hasPrefix("e:"), suffix.count > 2 {
                    self = .dedupe(tenant: tenant, user: user, event: String(suffix.dropFirst(2)))
                } else {
                    return nil
                }
            }
        }

        /// The tenant the key belongs to.
        var tenant: String {
            switch self {
            case .userCycle(let tenant, _, _), .dedupe(let tenant, _, _), .reservations(let tenant, _),
                .reservationIndex(let tenant, _), .quota(let tenant, _), .log(let tenant, _),
                .tenantDefault(let tenant), .tenantUsers(let tenant):
                return tenant
            }
        }

        /// The user the key belongs to, for per-user keys.
        var user: String? {
            switch self {
            case .userCycle(_, let user, _), .dedupe(_, let user, _), .reservations(_, let user),
                .reservationIndex(_, let user), .quota(_, let user), .log(_, let user):
                return user
            case .tenantDefault, .tenantUsers:
                return nil
            }
        }

        /// The v2 key this key is renamed to (with its TTL), or nil when it is merged or dropped instead.
        var renamedKey: String? {
            switch self {
            case .userCycle(let tenant, let user, let cycle): return V2Key.userCycle(tenant, user, cycle)
            case .dedupe(let tenant, let user, let event): return V2Key.user(tenant, user) + "e:" + event
            case .quota(let tenant, let user): return V2Key.user(tenant, user) + "quota"
            case .log(let tenant, let user): return V2Key.user(tenant, user) + "log"
            case .tenantDefault(let tenant): return V2Key.tenant(tenant) + "default"
            case .reservations, .reservationIndex, .tenantUsers: return nil
            }
        }

        /// The text between the `{` ending at `start` and the next `}`, and what follows it.
        private static func tag(of key: String, after start: Int) -> (String, Substring)? {
            let open = key.index(key.startIndex, offsetBy: start)
            guard let close = key[open...].firstIndex(of: "}") else { return nil }
            return (String(key[open..<close]), key[key.index(after: close)...])
        }
    }

    /// The v2 keys the migration writes (see the v2 schema).
    enum V2Key {
        /// `q:{t}:`, the prefix of every key of the tenant.
        static func tenant(_ tenant: String) -> String { "q:{\(tenant)}:" }
        /// `q:{t}:u:<u>:`, the prefix of every key of the user.
        static func user(_ tenant: String, _ user: String) -> String { "q:{\(tenant)}:u:\(user):" }
        /// `q:{t}:u:<u>:c:<cycle>`.
        static func userCycle(_ tenant: String, _ user: String, _ cycle: String) -> String { Self.user(tenant, user) + "c:" + cycle }
        /// `q:{t}:T:c:<cycle>`: tenant totals.
        static func tenantCycle(_ tenant: String, _ cycle: String) -> String { self.tenant(tenant) + "T:c:" + cycle }
        /// `q:{t}:T:r:<cycle>`: report rows.
        static func tenantReport(_ tenant: String, _ cycle: String) -> String { self.tenant(tenant) + "T:r:" + cycle }
        /// `q:{t}:T:m:<cycle>`: the users already added to the tenant cycle during this migration
        /// (a temporary key, deleted before the migration ends; not part of the v2 schema).
        static func tenantMerged(_ tenant: String, _ cycle: String) -> String { self.tenant(tenant) + "T:m:" + cycle }
        /// `q:{t}:r`, `q:{t}:rx`, `q:{t}:rs`: the tenant's reservations, their expiry index and totals.
        static func reservations(_ tenant: String) -> String { self.tenant(tenant) + "r" }
        static func reservationExpiry(_ tenant: String) -> String { self.tenant(tenant) + "rx" }
        static func reservationTotals(_ tenant: String) -> String { self.tenant(tenant) + "rs" }

        /// SCAN pattern of the v2 user cycle hashes (parse with ``parseUserCycle(_:)``: event ids may hold `:`).
        static let userCyclePattern = "q:{*}:u:*:c:*"
        /// SCAN pattern of the tenant-wide cycle keys (`T:c`, `T:r`, `T:m`; `T:w` is left alone).
        static let tenantCyclePattern = "q:{*}:T:*"
        /// SCAN pattern of the tenant reservation hashes.
        static let reservationsPattern = "q:{*}:r"
        /// SCAN pattern of the temporary `T:m` notes.
        static let tenantMergedPattern = "q:{*}:T:m:*"

        /// `(tenant, user, cycle)` of a `q:{t}:u:<u>:c:<cycle>` key.
        static func parseUserCycle(_ key: String) -> (tenant: String, user: String, cycle: String)? {
            guard let (tenant, rest) = tagged(key), rest.hasPrefix(":u:") else { return nil }
            let parts = rest.dropFirst(3).split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, isName(parts[0]), parts[1] == "c", isCycle(parts[2]) else { return nil }
            return (tenant, String(parts[0]), String(parts[2]))
        }

        /// Whether `key` is a `T:c`, `T:r` or `T:m` key.
        static func isTenantCycleKey(_ key: String) -> Bool {
            guard let (_, rest) = tagged(key) else { return false }
            for kind in [":T:c:", ":T:r:", ":T:m:"] where rest.hasPrefix(kind) {
                return isCycle(rest.dropFirst(kind.count))
            }
            return false
        }

        /// The tenant of a `q:{t}:r` key.
        static func parseReservations(_ key: String) -> String? {
            guard let (tenant, rest) = tagged(key), rest == ":r" else { return nil }
            return tenant
        }

        /// The tenant id in `q:{t}` and what follows `}`.
        private static func tagged(_ key: String) -> (String, Substring)? {
            guard key.hasPrefix("q:{"), let close = key.firstIndex(of: "}") else { return nil }
            let tenant = key[key.index(key.startIndex, offsetBy: 3)..<close]
            guard isName(tenant) else { return nil }
            return (String(tenant), key[key.index(after: close)...])
        }

        /// A cycle id: `YYYY-MM-DD`.
        private static func isCycle(_ text: Substring) -> Bool {
            let bytes = Array(text.utf8)
            guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return false }
            return bytes.enumerated().allSatisfy { $0.offset == 4 || $0.offset == 7 || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0.element) }
        }
    }
}

/// Whether `text` is a tenant or user id: 1-128 characters of `A-Z a-z 0-9 . _ @ -`.
private func isName(_ text: some StringProtocol) -> Bool {
    (1...128).contains(text.utf8.count) && text.utf8.allSatisfy { byte in
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "@"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }
}
