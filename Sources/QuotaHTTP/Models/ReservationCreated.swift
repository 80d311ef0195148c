import Foundation
import NIOCore

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

extension ReservationCreated {
    /// The response body written directly (the reservation hot path): byte-identical to its encoding by
    /// ``JSONResponse/encoder()`` (sorted keys, the expiry as an ISO 8601 timestamp in whole seconds).
    var json: ByteBuffer {
        var json = JSONByteWriter(capacity: 192)
        json.raw("{"); json.key("expires_at"); json.timestamp(Date(timeIntervalSince1970: expiresAt.timeIntervalSince1970.rounded(.down)))
        json.raw(","); json.key("fail_open"); json.bool(failOpen)
        json.raw(","); json.key("model"); json.string(model)
        json.raw(","); json.key("reservation_id"); json.string(reservationID)
        json.raw(","); json.key("reserved")
        json.raw("{"); json.key("cost_nano_usd"); json.int(reserved.costNanoUSD)
        json.raw(","); json.key("tokens"); json.int(reserved.tokens); json.raw("}")
        json.raw(","); json.key("user"); json.string(user)
        json.raw("}")
        return json.buffer
    }
}
