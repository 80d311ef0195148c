public import Foundation
import TokenAccounting

/// Stores usage and enforces quotas. ``RedisQuotaRepository`` is the implementation; the protocol lets the
/// HTTP layer and the callback handlers be tested against it.
public protocol QuotaRepository: Sendable {
    /// Records an event exactly once (by tenant, user and event id); a duplicate changes nothing.
    /// If `event.reservationID` is set, the reservation is settled (removed) in the same atomic step.
    func record(_ event: UsageEvent, options: RecordOptions) async throws(QuotaError) -> RecordResult

    /// Holds quota for a call about to start, or says which limit would be exceeded.
    ///
    /// `now` is the caller's clock; ``RedisQuotaRepository`` ignores it for decisions and uses Redis's
    /// clock (expiry, cycle), so instances with skewed clocks agree.
    func reserve(_ request: ReservationRequest, now: Date) async throws(QuotaError) -> ReserveOutcome

    /// Adds tokens and cost to a held reservation, at every level it is held at at once (or refuses, naming
    /// the limit, and changes nothing), and/or gives it a new expiry `ttlSeconds` from now (Redis's clock).
    func extend(_ request: ReservationExtension) async throws(QuotaError) -> ReserveOutcome

    /// Drops a reservation. Returns false if it did not exist (already committed, released or expired).
    func release(tenant: String, user: String, reservationID: String) async throws(QuotaError) -> Bool

    /// Looks up an active reservation's owner (for commit/release by id without a user). Nil when unknown.
    func reservationOwner(tenant: String, reservationID: String) async throws(QuotaError) -> String?

    /// The model and provider a held reservation was made for, or nil when it is not held or named none.
    func reservationCall(tenant: String, reservationID: String) async throws(QuotaError) -> ReservedCall?

    /// A user's usage in the current cycle (`cycleID == nil`: the cycle containing `now`) or in the cycle
    /// with that id. Active reservations are those not expired by Redis's clock.
    func usage(tenant: String, user: String, cycleID: String?, now: Date) async throws(QuotaError) -> UserUsage

    /// The user's own quota if set, else the tenant default, else unlimited calendar months in UTC.
    /// `isUserSpecific` tells which.
    func quota(tenant: String, user: String) async throws(QuotaError) -> (config: QuotaConfig, isUserSpecific: Bool)

    /// Sets (or, with nil, removes and resets, see ``setQuota(tenant:subject:_:now:)``) a user's own quota.
    /// Changing the cycle policy mid-cycle keeps the running cycle (see `CycleSchedule.changing`).
    func setQuota(tenant: String, user: String, _ config: QuotaConfig?, now: Date) async throws(QuotaError)

    /// The stored quota of a subject (nil: none set). For a user this is their own quota only.
    func quota(tenant: String, subject: QuotaSubject) async throws(QuotaError) -> QuotaConfig?

    /// Sets or (nil) removes a subject's quota. Removing a user's quota also resets the user's usage in
    /// the running cycle and their windows (the group's and tenant's totals keep it); no other change
    /// resets usage: removing another quota removes its limits and keeps its cycles unless they are the
    /// ones it falls back to.
    func setQuota(tenant: String, subject: QuotaSubject, _ config: QuotaConfig?, now: Date) async throws(QuotaError)

    /// Starts the user's running cycle from zero, recording who did it and what was spent (see
    /// ``TenantReport/resets``); the group's and tenant's totals keep it.
    func resetUsage(tenant: String, user: String, by: String, now: Date) async throws(QuotaError) -> UsageReset

    /// The state of the tenant level or a group in its current cycle (`cycleID == nil`) or the cycle with
    /// that id.
    func usage(tenant: String, subject: QuotaSubject, cycleID: String?, now: Date) async throws(QuotaError) -> LevelUsage

    /// The schedule of the tenant's cycles (the tenant level, reports; the fallback of groups without
    /// their own): the tenant aggregate quota's, else the per-user default's.
    func tenantSchedule(tenant: String) async throws(QuotaError) -> CycleSchedule

    /// The tenant's default quota (used for users without their own).
    func defaultQuota(tenant: String) async throws(QuotaError) -> QuotaConfig

    /// Sets the tenant's default quota.
    func setDefaultQuota(tenant: String, _ config: QuotaConfig, now: Date) async throws(QuotaError)

    /// Every user and group with usage in the tenant's cycle (`nil` = the current one), counted within it.
    func report(tenant: String, cycleID: String?, now: Date) async throws(QuotaError) -> TenantReport

    /// What the active reservations hold for each subject (a user, a group, or the tenant; in order), read
    /// from the running reservation totals in one round trip. Reservations that expired since the tenant's
    /// last write still count until a write purges them, so this errs on the side of less room.
    func reserved(tenant: String, subjects: [QuotaSubject]) async throws(QuotaError) -> [ReservedAmounts]

    /// Whether an event with this id was already recorded for the user (within the dedupe window), so a
    /// retried event can be answered as a duplicate before checks that only apply to new events.
    func isRecorded(tenant: String, user: String, eventID: String) async throws(QuotaError) -> Bool

    /// The repository's clock — for ``RedisQuotaRepository`` an estimate of Redis's time, which every quota
    /// decision uses — so that views and schedule changes pick the same cycle as the scripts.
    func currentTime() async -> Date
}
