/// A level quota applies at. Every reserve checks all levels that apply to the user, and the strictest wins.
public enum QuotaLevel: String, Sendable, Hashable, CaseIterable, Codable {
    /// The tenant as a whole (the sum over all its users).
    case tenant
    /// A group of users (a team or a plan); a user belongs to at most one.
    case group
    /// One user (their own quota, else the tenant's per-user default).
    case user
}

/// Whose quota: the tenant aggregate, a group, a user, or the tenant's per-user default.
public enum QuotaSubject: Sendable, Hashable {
    /// The tenant aggregate (`/quota/tenant`).
    case tenant
    /// A group.
    case group(String)
    /// A user's own quota.
    case user(String)
    /// The tenant's default for users without their own quota.
    case tenantDefault
}
