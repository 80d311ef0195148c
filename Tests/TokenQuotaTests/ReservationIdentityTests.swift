import Foundation
import Testing
import TokenAccounting
import TokenQuota

/// One reservation id, one hold: a live id answers for the same request only, and a settled id (committed
/// under any event id, released or expired) is never held again.
@Suite struct ReservationIdentityTests {
    static func request(_ tokens: Int, id: String = "X1", ttl: Int = 60) -> ReservationRequest {
        ReservationRequest(tenant: "acme", user: "u", tokens: tokens, costNanoUSD: tokens * 10, ttlSeconds: ttl, reservationID: id)
    }

    static func held(_ outcome: ReserveOutcome) throws -> Reservation {
        guard case .reserved(let reservation) = outcome else { throw QuotaError(.internalError, "expected a reservation, got \(outcome)") }
        return reservation
    }

    static func expectConflict(_ body: () async throws -> Void, mentioning word: String) async {
        do {
            try await body()
            Issue.record("expected 409 conflict mentioning '\(word)'")
        } catch let error as QuotaError {
            #expect(error.code == .conflict)
            #expect(error.message.contains(word), "\(error.message)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func aLiveIdReservedForAnotherRequestIsAConflictAndHoldsNothingMore() async throws {
        try await withRepository { repository, _ in
            try await repository.setQuota(tenant: "acme", user: "u", QuotaConfig(limits: QuotaLimits(tokens: 100)), now: Date())
            let first = try Self.held(try await repository.reserve(Self.request(10), now: Date()))
            #expect(first.tokens == 10)
            await Self.expectConflict({ _ = try await repository.reserve(Self.request(200_000), now: Date()) }, mentioning: "different request")
            // The identical request is a retry: it gets the held reservation, with its own amounts.
            let retry = try Self.held(try await repository.reserve(Self.request(10), now: Date()))
            #expect(retry.id == first.id)
            #expect(retry.tokens == 10 && retry.costNanoUSD == 100)
            #expect(retry.expiresAt == first.expiresAt)
            let usage = try await repository.usage(tenant: "acme", user: "u", cycleID: nil, now: Date())
            #expect(usage.reserved == ReservedAmounts(tokens: 10, costNanoUSD: 100, requests: 1))
        }
    }

    @Test func aCommitUnderItsOwnEventIDSettlesTheIdForGood() async throws {
        try await withRepository { repository, _ in
            let reservation = try Self.held(try await repository.reserve(Self.request(50), now: Date()))
            let event = UsageEvent(
                tenant: "acme", user: "u", eventID: "call-1", model: "gpt-4o", usage: TokenUsage(inputTokens: 20, outputTokens: 10),
                reservationID: reservation.id
            )
            #expect(try await repository.record(event, options: RecordOptions()).recorded)
            // The id cannot be held again, whatever the commit's event id was.
            await Self.expectConflict({ _ = try await repository.reserve(Self.request(50), now: Date()) }, mentioning: "committed")
            // A second commit of the same reservation under another event id is refused: it settles once.
            let again = UsageEvent(
                tenant: "acme", user: "u", eventID: "call-2", model: "gpt-4o", usage: TokenUsage(inputTokens: 20, outputTokens: 10),
                reservationID: reservation.id
            )
            await Self.expectConflict({ _ = try await repository.record(again, options: RecordOptions()) }, mentioning: "call-1")
            // The retried commit (same event id) is a duplicate, and the call counted exactly once.
            #expect(try await repository.record(event, options: RecordOptions()).recorded == false)
            let usage = try await repository.usage(tenant: "acme", user: "u", cycleID: nil, now: Date())
            #expect(usage.totals.tokens == 30)
            #expect(usage.totals.requests == 1)
            #expect(usage.reserved == ReservedAmounts())
            #expect(try await repository.reservationOwner(tenant: "acme", reservationID: reservation.id) == "u")
        }
    }

    @Test func aCommittedIdIsNotReservedAgain() async throws {
        try await withRepository { repository, _ in
            let reservation = try Self.held(try await repository.reserve(Self.request(50), now: Date()))
            let event = UsageEvent(
                tenant: "acme", user: "u", eventID: reservation.id, model: "gpt-4o", usage: TokenUsage(inputTokens: 5, outputTokens: 5),
                reservationID: reservation.id
            )
            #expect(try await repository.record(event, options: RecordOptions()).recorded)
            await Self.expectConflict({ _ = try await repository.reserve(Self.request(50), now: Date()) }, mentioning: "committed")
            let usage = try await repository.usage(tenant: "acme", user: "u", cycleID: nil, now: Date())
            #expect(usage.reserved == ReservedAmounts())
        }
    }

    @Test func aReleasedIdIsNotReservedAgain() async throws {
        try await withRepository { repository, _ in
            let reservation = try Self.held(try await repository.reserve(Self.request(50), now: Date()))
            #expect(try await repository.release(tenant: "acme", user: "u", reservationID: reservation.id))
            await Self.expectConflict({ _ = try await repository.reserve(Self.request(50), now: Date()) }, mentioning: "released")
            #expect(try await repository.usage(tenant: "acme", user: "u", cycleID: nil, now: Date()).reserved == ReservedAmounts())
        }
    }

    @Test func anExpiredIdIsNotReservedAgain() async throws {
        try await withRepository { repository, _ in
            let reservation = try Self.held(try await repository.reserve(Self.request(50, ttl: 1), now: Date()))
            // Wait (bounded) until Redis's clock has passed the expiry: then the id answers 'expired'.
            let deadline = ContinuousClock.now + .seconds(10)
            var outcome: String = ""
            while ContinuousClock.now < deadline {
                do {
                    let again = try await repository.reserve(Self.request(50, ttl: 1), now: Date())
                    // Still live: the identical request gets the same hold back.
                    #expect(try Self.held(again).id == reservation.id)
                } catch let error as QuotaError {
                    outcome = error.message
                    break
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(outcome.contains("expired"), "\(outcome)")
        }
    }
}
