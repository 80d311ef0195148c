/// Which primary serves each of the 16384 hash slots, and the shards' replicas, as one node reported them.
public struct ClusterTopology: Sendable, Hashable {
    /// One primary and its replicas, with the slot ranges the primary serves.
    public struct Shard: Sendable, Hashable {
        /// The primary serving the slots.
        public var primary: ClusterNodeAddress
        /// The primary's replicas (online or not), in the order the node listed them.
        public var replicas: [ClusterNodeAddress]
        /// The slot ranges (inclusive) the primary serves.
        public var slots: [ClosedRange<Int>]

        /// Creates a shard.
        public init(primary: ClusterNodeAddress, replicas: [ClusterNodeAddress] = [], slots: [ClosedRange<Int>]) {
            self.primary = primary
            self.replicas = replicas
            self.slots = slots
        }
    }

    /// The shards that serve at least one slot.
    public var shards: [Shard]

    /// Creates a topology from its shards.
    public init(shards: [Shard]) {
        self.shards = shards
    }

    /// The primaries, in shard order.
    public var primaries: [ClusterNodeAddress] { shards.map(\.primary) }

    /// How many slots some primary serves (16384 when the cluster covers every slot).
    public var coveredSlots: Int {
        shards.reduce(0) { total, shard in total + shard.slots.reduce(0) { $0 + $1.count } }
    }
}

extension ClusterTopology {
    /// Parses a `CLUSTER SHARDS` reply (Redis 7+, RESP2: each shard and node is a flat list of name, value).
    ///
    /// A shard's primary is its node with role `master`; a primary's address is its `endpoint` (what
    /// `cluster-preferred-endpoint-type` chooses), or its `ip` when the endpoint is unknown (`?` or empty),
    /// or `fallbackHost` (the node that answered) when neither is known. Shards without slots are left out.
    ///
    /// Its port is the node's `tls-port` when `tls` (the client connects over TLS: a `tls-cluster yes` node
    /// lists its TLS port under that name, and its plain port, if it has one, as `port`), else — and when a
    /// node lists no `tls-port` — its `port`.
    init?(shardsReply reply: RedisReply, fallbackHost: String, tls: Bool = false) {
        guard let shardReplies = reply.array else { return nil }
        var shards: [Shard] = []
        for shardReply in shardReplies {
            guard let fields = Self.fields(shardReply), let slotValues = fields["slots"]?.array,
                  let nodeReplies = fields["nodes"]?.array
            else { return nil }
            var slots: [ClosedRange<Int>] = []
            var index = 0
            while index + 1 < slotValues.count {
                guard let start = slotValues[index].int, let end = slotValues[index + 1].int, start <= end else { return nil }
                slots.append(start...end)
                index += 2
            }
            if slots.isEmpty { continue }
            var primary: ClusterNodeAddress?
            var replicas: [ClusterNodeAddress] = []
            for nodeReply in nodeReplies {
                guard let node = Self.fields(nodeReply), let port = (tls ? node["tls-port"]?.int : nil) ?? node["port"]?.int else { continue }
                var host = node["endpoint"]?.text ?? ""
                if host.isEmpty || host == "?" { host = node["ip"]?.text ?? "" }
                if host.isEmpty || host == "?" { host = fallbackHost }
                let address = ClusterNodeAddress(host: host, port: port)
                if node["role"]?.text == "master" { primary = address } else { replicas.append(address) }
            }
            guard let primary else { continue }
            shards.append(Shard(primary: primary, replicas: replicas, slots: slots))
        }
        self.init(shards: shards)
    }

    /// Parses a `CLUSTER SLOTS` reply: `[start, end, [host, port, id, ...], replicas...]` per range.
    /// An empty host means the node that answered (`fallbackHost`).
    init?(slotsReply reply: RedisReply, fallbackHost: String) {
        guard let ranges = reply.array else { return nil }
        var byPrimary: [ClusterNodeAddress: Int] = [:]
        var shards: [Shard] = []
        func address(_ reply: RedisReply) -> ClusterNodeAddress? {
            guard let fields = reply.array, fields.count >= 2, let port = fields[1].int else { return nil }
            var host = fields[0].text ?? ""
            if host.isEmpty || host == "?" { host = fallbackHost }
            return ClusterNodeAddress(host: host, port: port)
        }
        for range in ranges {
            guard let fields = range.array, fields.count >= 3, let start = fields[0].int, let end = fields[1].int,
                  start <= end, let primary = address(fields[2])
            else { return nil }
            let replicas = fields.dropFirst(3).compactMap(address)
            if let index = byPrimary[primary] {
                shards[index].slots.append(start...end)
            } else {
                byPrimary[primary] = shards.count
                shards.append(Shard(primary: primary, replicas: replicas, slots: [start...end]))
            }
        }
        self.init(shards: shards)
    }

    /// A flat RESP2 list of name, value pairs as a dictionary.
    private static func fields(_ reply: RedisReply) -> [String: RedisReply]? {
        guard let elements = reply.array else { return nil }
        var result: [String: RedisReply] = [:]
        var index = 0
        while index + 1 < elements.count {
            if let name = elements[index].text { result[name] = elements[index + 1] }
            index += 2
        }
        return result
    }
}
