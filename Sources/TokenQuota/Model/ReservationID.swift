/// The reservation id format, `res:<user>:<suffix>`: the user is part of the id, so commit and release
/// by id need no lookup (user ids cannot contain `:`).
public enum ReservationID {
    /// The id of the reservation with this suffix (a caller's call id, or random when nil).
    public static func make(user: String, suffix: String?) throws(QuotaError) -> String {
        if let suffix {
            try Identifier.validateEventID(suffix, field: "reservation_id")
            return "res:\(user):\(suffix)"
        }
        var generator = SystemRandomNumberGenerator()
        let random = (0..<4).map { _ in String(generator.next() as UInt32, radix: 16) }.joined()
        return "res:\(user):\(random)"
    }

    /// The user a reservation id belongs to, or nil when the id is not of this form.
    public static func owner(of id: String) -> String? {
        let parts = id.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "res" else { return nil }
        let user = String(parts[1])
        guard (try? Identifier.validateName(user, field: "user")) != nil,
              (try? Identifier.validateEventID(String(parts[2]), field: "reservation_id")) != nil
        else { return nil }
        return user
    }
}
