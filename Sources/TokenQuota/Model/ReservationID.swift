/// The reservation id format, `res:<user>:<suffix>`: the user is part of the id, so commit and release
/// by id need no lookup (user ids cannot contain `:`).
public enum ReservationID {
    /// The id of the reservation with this suffix (a caller's call id, or random when nil).
    public static func make(user: String, suffix: String?) throws(QuotaError) -> String {
        if let suffix {
            try Identifier.validateEventID(suffix, field: "reservation_id")
            let id = "res:\(user):\(suffix)"
            // The granted id must be usable on every later route (commit, release): it is an event id too.
            guard id.utf8.count <= Identifier.maximumEventIDLength else {
                throw QuotaError(
                    .invalidArgument,
                    "reservation_id is too long for this user: 'res:<user>:' plus the id must be at most \(Identifier.maximumEventIDLength) characters (got \(id.utf8.count))"
                )
            }
            return id
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
        guard (try? Identifier.validateName(user, field: "user")) != nil else { return nil }
        return user
    }
}
