public import Foundation

/// A request to hold quota for a call that is about to start.
public struct ReservationRequest: Sendable, Hashable {
    /// The tenant.
    public var tenant: String
    /// The user.
    public var user: String
    /// Tokens to hold (input estimate + maximum output).
    public var tokens: Int
    /// Cost to hold in nano-USD.
    public var costNanoUSD: Int
    /// How long the hold lasts unless committed or released.
    public var ttlSeconds: Int
    /// A caller-chosen id (for idempotent reserve); a random one when nil.
    public var reservationID: String?

    /// Creates a request.
    public init(tenant: String, user: String, tokens: Int, costNanoUSD: Int, ttlSeconds: Int = 300, reservationID: String? = nil) {
        self.tenant = tenant
        self.user = user
        self.tokens = tokens
        self.costNanoUSD = costNanoUSD
        self.ttlSeconds = ttlSeconds
        self.reservationID = reservationID
    }
}

/// Quota held for a call in flight.
public struct Reservation: Sendable, Hashable {
    /// The reservation id (pass it to commit or release).
    public var id: String
    /// When the hold lapses by itself.
    public var expiresAt: Date
    /// Tokens held.
    public var tokens: Int
    /// Cost held in nano-USD.
    public var costNanoUSD: Int
    /// Creates a reservation.
    public init(id: String, expiresAt: Date, tokens: Int, costNanoUSD: Int) {
        self.id = id
        self.expiresAt = expiresAt
        self.tokens = tokens
        self.costNanoUSD = costNanoUSD
    }
}

/// Why a reservation was refused: the first limit that `used + reserved + requested` would exceed.
public struct QuotaRejection: Sendable, Hashable {
    /// The limit that would be exceeded.
    public var limit: LimitKind
    /// The limit's value.
    public var limitValue: Int
    /// Already used in this cycle.
    public var used: Int
    /// Held by other active reservations.
    public var reserved: Int
    /// What this reservation asked for.
    public var requested: Int
    /// Whole seconds until the earliest moment the same request could succeed (for `Retry-After`), at
    /// least 1: when active reservations block it and their expiry would make room, the expiry of the
    /// earliest reservation after which it fits; otherwise the cycle reset (the same as ``resetsAt``).
    public var retryAfterSeconds: Int
    /// When the cycle ends and its usage resets (the cycle's end).
    public var resetsAt: Date
    /// The cycle the rejection is about.
    public var cycleID: String

    /// What is left of the limit.
    public var remaining: Int { RemainingQuota.left(of: limitValue, used: used, reserved: reserved) }

    /// Creates a rejection.
    public init(
        limit: LimitKind, limitValue: Int, used: Int, reserved: Int, requested: Int, retryAfterSeconds: Int, resetsAt: Date,
        cycleID: String
    ) {
        self.limit = limit
        self.limitValue = limitValue
        self.used = used
        self.reserved = reserved
        self.requested = requested
        self.retryAfterSeconds = retryAfterSeconds
        self.resetsAt = resetsAt
        self.cycleID = cycleID
    }
}

/// The outcome of a reserve call.
public enum ReserveOutcome: Sendable, Hashable {
    /// The quota is held.
    case reserved(Reservation)
    /// A limit would be exceeded; nothing is held.
    case rejected(QuotaRejection)
}
