public import TokenAccounting
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
    /// The call's model, kept with the hold: a commit that names none records it.
    public var model: String?
    /// The call's provider, kept with the hold like ``model``.
    public var provider: Provider?

    /// Creates a request.
    public init(
        tenant: String, user: String, tokens: Int, costNanoUSD: Int, ttlSeconds: Int = 300, reservationID: String? = nil,
        model: String? = nil, provider: Provider? = nil
    ) {
        self.tenant = tenant
        self.user = user
        self.tokens = tokens
        self.costNanoUSD = costNanoUSD
        self.ttlSeconds = ttlSeconds
        self.reservationID = reservationID
        self.model = model
        self.provider = provider
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
    /// The rolling window with the least room left once this reservation is held (nil: no window limits).
    public var rateLimit: RateLimitStatus?
    /// Creates a reservation.
    public init(id: String, expiresAt: Date, tokens: Int, costNanoUSD: Int, rateLimit: RateLimitStatus? = nil) {
        self.id = id
        self.expiresAt = expiresAt
        self.tokens = tokens
        self.costNanoUSD = costNanoUSD
        self.rateLimit = rateLimit
    }
}

/// Why a reservation was refused: of the limits that `used + reserved + requested` would exceed (at any
/// level), the one whose room comes back last.
public struct QuotaRejection: Sendable, Hashable {
    /// The level of the limit.
    public var level: QuotaLevel
    /// The limit that would be exceeded.
    public var limit: LimitKind
    /// The limit's value.
    public var limitValue: Int
    /// Already used in this cycle (for a rolling window: what the window holds, estimates included).
    public var used: Int
    /// Held by other active reservations (0 for rolling windows, whose sums include them).
    public var reserved: Int
    /// What this reservation asked for.
    public var requested: Int
    /// Whole seconds (at least 1) until the earliest moment the same request fits every limit again: the
    /// window slide, the expiry of enough reservations, or the cycle's reset, whichever frees enough first.
    /// Nil when it never can (the request alone is larger than the limit).
    public var retryAfterSeconds: Int?
    /// When the limit's room comes back: for a cycle limit the cycle's end; for a window, the retry moment.
    public var resetsAt: Date
    /// The cycle the rejection is about (of the limit's level).
    public var cycleID: String

    /// What is left of the limit.
    public var remaining: Int { RemainingQuota.left(of: limitValue, used: used, reserved: reserved) }

    /// Creates a rejection.
    public init(
        level: QuotaLevel = .user, limit: LimitKind, limitValue: Int, used: Int, reserved: Int, requested: Int, retryAfterSeconds: Int?,
        resetsAt: Date, cycleID: String
    ) {
        self.level = level
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

/// What ``QuotaRepository/extend(_:)`` adds to a held reservation.
public struct ReservationExtension: Sendable, Hashable {
    /// The tenant.
    public var tenant: String
    /// The granted reservation id (`res:<user>:<id>`).
    public var reservationID: String
    /// Tokens added to the hold (0: only the expiry moves).
    public var tokens: Int
    /// Nano-USD added to the hold.
    public var costNanoUSD: Int
    /// The new expiry, in seconds from now; nil keeps it.
    public var ttlSeconds: Int?

    /// Creates an extension.
    public init(tenant: String, reservationID: String, tokens: Int = 0, costNanoUSD: Int = 0, ttlSeconds: Int? = nil) {
        self.tenant = tenant
        self.reservationID = reservationID
        self.tokens = tokens
        self.costNanoUSD = costNanoUSD
        self.ttlSeconds = ttlSeconds
    }
}

/// The call a reservation was made for: what a commit that names no model records.
public struct ReservedCall: Sendable, Hashable {
    /// The model named at reserve.
    public var model: String
    /// The provider named at reserve (or detected from its catalogue entry).
    public var provider: Provider?

    /// Creates the value.
    public init(model: String, provider: Provider?) {
        self.model = model
        self.provider = provider
    }
}
