/// Where a command goes in a cluster: the primary of a hash slot, or any primary for a keyless command.
public enum ClusterRoute: Sendable, Hashable {
    /// The primary that serves this slot.
    case slot(Int)
    /// Any primary (the command has no key).
    case anyNode

    /// The route of a command whose keys are `keys`: their common slot, or ``anyNode`` when there are none.
    ///
    /// - Throws: ``RedisError`` with code ``RedisError/Code/crossSlot`` when the keys map to different slots
    ///   (nothing is sent).
    public init(keys: [String]) throws(RedisError) {
        guard let first = keys.first else {
            self = .anyNode
            return
        }
        let slot = ClusterHashSlot.slot(of: first)
        for key in keys.dropFirst() where ClusterHashSlot.slot(of: key) != slot {
            throw RedisError(
                .crossSlot,
                "keys '\(first)' and '\(key)' map to different hash slots; a cluster runs a command only on keys of one slot (use a common {hash tag}); not sent"
            )
        }
        self = .slot(slot)
    }

    /// The route of a command, from its keys (positions per command name in `RedisCommand.keySpecs`).
    ///
    /// - Throws: ``RedisError`` with code ``RedisError/Code/crossSlot`` when its keys map to different slots.
    init(command: RedisCommand) throws(RedisError) {
        let ranges = command.argumentRanges
        let keys = RedisCommand.keyIndices(name: ranges.first.map { command.storage[$0] } ?? [], ranges: ranges, storage: command.storage)
        guard let firstIndex = keys.first else {
            self = .anyNode
            return
        }
        let slot = ClusterHashSlot.slot(ofBytes: command.storage[ranges[firstIndex]])
        for index in keys.dropFirst() where ClusterHashSlot.slot(ofBytes: command.storage[ranges[index]]) != slot {
            let name = String(decoding: command.storage[ranges[0]], as: UTF8.self)
            let first = String(decoding: command.storage[ranges[firstIndex]], as: UTF8.self)
            let other = String(decoding: command.storage[ranges[index]], as: UTF8.self)
            throw RedisError(
                .crossSlot,
                "\(name.uppercased()): keys '\(first)' and '\(other)' map to different hash slots; a cluster runs a command only on keys of one slot (use a common {hash tag}); not sent"
            )
        }
        self = .slot(slot)
    }
}
