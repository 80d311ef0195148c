import AsyncRedis
import Foundation
import Testing
import TokenAccounting
import TokenQuota

/// Airtight reservations: running totals instead of scans, a cap per user, duplicate commits release,
/// committed ids stay committed, granted ids fit every later route.
@Suite struct ReservationLifecycleTests {
    static func request(_ user: String = "u", tokens: Int, ttl: Int = 60, id: String? = nil) -> ReservationRequest {
        ReservationRequest(tenant: "acme", user: user, tokens: tokens, costNanoUSD: tokens, ttlSeconds: ttl, reservationID: id)
    }

    @Test func runningTotalsFollowEveryReserveCommitReleaseAndExpiry() async throws {
        try await withRepository { repository, client in
            var ids: [String] = []
            for n in 1...5 {
                guard case .reserved(let reservation) = try await repository.reserve(Self.request(tokens: n * 10), now: Date()) else {
                    Issue.record("expected a reservation"); return
                }
                ids.append(reservation.id)
            }
            #expect(try await repository.usage(tenant: "acme", user: "u", cycleID: nil, now: Date()).reserved
                == ReservedAmounts(tokens: 150, costNanoUSD: 150, requests: 5))
            #expect(try await repository.release(tenant: "acme", user: "u", reservationID: ids[0]))
            let commit = UsageEvent(
                tenant: "acme", user: "u", eventID: ids[1], model: "gpt-4o", usage: TokenUsage(inputTokens: 5), reservationID: ids[1]
            )
            _ = try await repository.record(commit, options: RecordOptions())
            let usage = try await repository.usage(tenant: "acme", user: "u", cycleID: nil, now: Date())
            #expect(usage.reserved == ReservedAmounts(tokens: 120, costNanoUSD: 120, requests: 3))
            // The running totals are three fields per scope (the tenant and the user), not a sum over the
            // reservations.
            let totals = try await client.send("HGETALL", "q:{acme}:rs")
            #expect(totals.array?.count == 12)
            // Releasing everything leaves no totals key behind.
            for id in ids[2...] { #expect(try await repository.release(tenant: "acme", user: "u", reservationID: id)) }
            #expect(try await client.send("EXISTS", "q:{acme}:rs").int == 0)
            #expect(try await repository.usage(tenant: "acme", user: "u", cycleID: nil, now: Date()).reserved == ReservedAmounts())
        }
    }

    @Test func aUserHoldsAtMostTheCap() async throws {
        try await withRepository(settings: RepositorySettings(quotaCacheMilliseconds: 0, maximumActiveReservationsPerUser: 3)) { repository, _ in
            for _ in 1...3 {
                guard case .reserved = try await repository.reserve(Self.request(tokens: 1), now: Date()) else { Issue.record("reserve"); return }
            }
            await #expect(throws: QuotaError.self) { _ = try await repository.reserve(Self.request(tokens: 1), now: Date()) }
            do {
                _ = try await repository.reserve(Self.request(tokens: 1), now: Date())
            } catch {
                #expect((error as? QuotaError)?.code == .tooManyReservations)
            }
            // Another user is not affected.
            guard case .reserved = try await repository.reserve(Self.request("other", tokens: 1), now: Date()) else { Issue.record("other"); return }
        }
    }

    @Test func duplicateCommitReleasesAndCommittedIdsCannotBeReservedAgain() async throws {
        try await withRepository { repository, _ in
            guard case .reserved(let first) = try await repository.reserve(Self.request(tokens: 100, id: "call-1"), now: Date()) else {
                Issue.record("reserve"); return
            }
            let commit = UsageEvent(
                tenant: "acme", user: "u", eventID: first.id, model: "gpt-4o", usage: TokenUsage(inputTokens: 90), reservationID: first.id
            )
            #expect(try await repository.record(commit, options: RecordOptions()).recorded)
            // The same id reserved again after its commit is refused, and nothing is held.
            do {
                _ = try await repository.reserve(Self.request(tokens: 100, id: "call-1"), now: Date())
                Issue.record("a committed reservation id was reserved again")
            } catch {
                #expect((error as? QuotaError)?.code == .conflict)
            }
            #expect(try await repository.usage(tenant: "acme", user: "u", cycleID: nil, now: Date()).reserved == ReservedAmounts())
            // A duplicate commit of a reservation still held (e.g. held again under a new id and committed with
            // an event id already used) releases it instead of leaving it held for its TTL.
            guard case .reserved(let second) = try await repository.reserve(Self.request(tokens: 50, id: "call-2"), now: Date()) else {
                Issue.record("reserve"); return
            }
            let retried = UsageEvent(
                tenant: "acme", user: "u", eventID: first.id, model: "gpt-4o", usage: TokenUsage(inputTokens: 90), reservationID: second.id
            )
            #expect(try await repository.record(retried, options: RecordOptions()).recorded == false)
            #expect(try await repository.usage(tenant: "acme", user: "u", cycleID: nil, now: Date()).reserved == ReservedAmounts())
        }
    }

    /// A granted `res:<user>:<id>` is accepted by every later route (commit, release, owner lookup), whatever
    /// the user id (up to 256 bytes, spaces and `/` included) and however long the caller's id (up to 200).
    @Test func grantedIdsFitEveryLaterRoute() async throws {
        try await withRepository { repository, _ in
            let tooLong = String(repeating: "x", count: Identifier.maximumEventIDLength + 1)
            do {
                _ = try await repository.reserve(Self.request(tokens: 1, id: tooLong), now: Date())
                Issue.record("a reservation id longer than an event id was granted")
            } catch {
                #expect((error as? QuotaError)?.code == .invalidArgument)
            }
            let user = "Ann Smith/" + String(repeating: "é", count: 100)
            let longest = String(repeating: "x", count: Identifier.maximumEventIDLength)
            var request = Self.request(tokens: 1, id: longest)
            request.user = user
            guard case .reserved(let reservation) = try await repository.reserve(request, now: Date()) else {
                Issue.record("reserve"); return
            }
            #expect(reservation.id == "res:\(user):\(longest)")
            try Identifier.validateReservationID(reservation.id)
            #expect(try await repository.reservationOwner(tenant: "acme", reservationID: reservation.id) == user)
            #expect(try await repository.release(tenant: "acme", user: user, reservationID: reservation.id))
            // Released and never committed: no owner any more (a commit without a user is a 404).
            #expect(try await repository.reservationOwner(tenant: "acme", reservationID: reservation.id) == nil)
        }
    }
}
