/// What quotad does with usage or reservations for a model it has no price for.
public enum UnpricedModelPolicy: String, Sendable, Hashable, CaseIterable {
    /// Refuse (``QuotaError/Code/unpricedModel``, HTTP `422 unpriced_model`) when a cost limit applies at any
    /// level the call counts at (the default): an unpriced call would otherwise pass that limit at cost 0.
    case reject
    /// Accept and record the call at cost 0, counted as unpriced (logged and in metrics).
    case allow
}

/// How a call for a model without a price was let through by ``UnpricedModelGuard``.
public enum UnpricedModelDecision: Sendable, Hashable {
    /// The policy is ``UnpricedModelPolicy/allow``.
    case allowedByPolicy
    /// No level the call counts at has a cost limit.
    case noCostLimit
    /// The event was recorded before: it is answered as a duplicate and changes nothing.
    case alreadyRecorded
}

/// Applies ``UnpricedModelPolicy`` to a call for a model without a price, the same way for the HTTP API and
/// the library's callback handlers, in usage and in reservations.
public struct UnpricedModelGuard: Sendable {
    let repository: any QuotaRepository
    /// The policy applied.
    public let policy: UnpricedModelPolicy

    /// Creates a guard over `repository`.
    public init(repository: any QuotaRepository, policy: UnpricedModelPolicy) {
        self.repository = repository
        self.policy = policy
    }

    /// Lets the call through, or throws ``QuotaError/Code/unpricedModel`` naming the first level with a cost
    /// limit (the user's own quota or the tenant default, the user's group, the tenant aggregate). Only called
    /// for unpriced models, so the quota lookups are off the common path. A retried event (`eventID` already
    /// recorded) passes: it is answered as a duplicate.
    public func check(model: String, tenant: String, user: String, eventID: String? = nil) async throws(QuotaError) -> UnpricedModelDecision {
        guard policy == .reject else { return .allowedByPolicy }
        guard let limited = try await costLimitedLevel(tenant: tenant, user: user) else { return .noCostLimit }
        if let eventID, try await repository.isRecorded(tenant: tenant, user: user, eventID: eventID) { return .alreadyRecorded }
        var error = QuotaError(
            .unpricedModel,
            "model '\(model.prefix(120))' has no price, and a cost limit applies to \(limited): add its price "
                + "(QUOTAD_PRICING_FILE) or set pricing.unpriced_models: allow"
        )
        error.subject = String(model.prefix(200))
        throw error
    }

    /// The first level with a cost limit that a call of `user` counts at (`user 'ann'`, `group 'eng'`, `the
    /// tenant`), or nil when none has one.
    public func costLimitedLevel(tenant: String, user: String) async throws(QuotaError) -> String? {
        let config = try await repository.quota(tenant: tenant, user: user).config
        if config.limits.costNanoUSD != nil { return "user '\(user)'" }
        if let group = config.group, try await repository.quota(tenant: tenant, subject: .group(group))?.limits.costNanoUSD != nil {
            return "group '\(group)'"
        }
        if try await repository.quota(tenant: tenant, subject: .tenant)?.limits.costNanoUSD != nil { return "the tenant" }
        return nil
    }
}
