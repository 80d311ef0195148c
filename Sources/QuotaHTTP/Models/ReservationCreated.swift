import Foundation

/// The `201` answer to a reservation.
struct ReservationCreated: Encodable, Sendable {
    struct Reserved: Encodable, Sendable {
        var tokens: Int
        var costNanoUSD: Int
        enum CodingKeys: String, CodingKey {
            case tokens
            case costNanoUSD = "cost_nano_usd"
        }
    }

    var reservationID: String
    var user: String
    var model: String
    var expiresAt: Date
    var reserved: Reserved
    var failOpen: Bool

    enum CodingKeys: String, CodingKey {
        case user, model, reserved
        case reservationID = "reservation_id"
        case expiresAt = "expires_at"
        case failOpen = "fail_open"
    }
}
