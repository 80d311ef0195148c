/// A `MOVED` or `ASK` error reply: the slot is served elsewhere, the command did not run.
struct ClusterRedirection: Sendable, Hashable {
    enum Kind: String, Sendable {
        /// The slot has moved for good: update the slot table.
        case moved
        /// The slot is being migrated and this key is (or will be) on the target: ask it once.
        case ask
    }

    let kind: Kind
    let slot: Int
    let address: ClusterNodeAddress

    /// Parses `MOVED <slot> <host>:<port>` or `ASK <slot> <host>:<port>`; an empty host (or `?`) means the
    /// node that answered, `replyingHost`.
    init?(error message: String, replyingHost: String) {
        let kind: Kind
        if message.hasPrefix("MOVED ") {
            kind = .moved
        } else if message.hasPrefix("ASK ") {
            kind = .ask
        } else {
            return nil
        }
        let parts = message.split(separator: " ")
        guard parts.count >= 3, let slot = Int(parts[1]), (0..<ClusterHashSlot.count).contains(slot),
              var address = ClusterNodeAddress(parts[2])
        else { return nil }
        if address.host.isEmpty || address.host == "?" { address.host = replyingHost }
        self.kind = kind
        self.slot = slot
        self.address = address
    }
}
