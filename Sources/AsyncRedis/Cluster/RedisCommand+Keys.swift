extension RedisCommand {
    /// How a command names its keys, for the commands this client routes in cluster mode.
    enum KeySpec {
        /// No key: any node may run it.
        case none
        /// The argument at this position (1 is the first argument after the name).
        case at(Int)
        /// Every argument from this position on.
        case allFrom(Int)
        /// Every `step`-th argument from `start` (`MSET key value key value`).
        case every(start: Int, step: Int)
        /// The arguments at these positions (`RENAME source destination`).
        case positions([Int])
        /// `numkeys` at this position, the keys right after it (`EVAL script numkeys key...`).
        case counted(at: Int)
        /// The keys after `STREAMS`: the first half of the remaining arguments (`XREAD`, `XREADGROUP`).
        case streams
    }

    /// Key positions of the commands quotad and its tools use, and of the common multi-key commands.
    /// A command not listed here has its first argument as its only key (or no key when it has none).
    static let keySpecs: [String: KeySpec] = {
        var specs: [String: KeySpec] = [:]
        for name in [
            "PING", "TIME", "INFO", "SCRIPT", "CLUSTER", "CONFIG", "CLIENT", "DBSIZE", "ECHO", "COMMAND", "SCAN",
            "WAIT", "READONLY", "READWRITE", "ASKING", "ROLE", "LASTSAVE", "FLUSHALL", "FLUSHDB", "SLOWLOG",
            "LATENCY", "SAVE", "BGSAVE", "BGREWRITEAOF", "AUTH", "HELLO", "SELECT", "FUNCTION", "PUBLISH",
            "RANDOMKEY", "KEYS", "DEBUG", "ACL", "MULTI", "EXEC", "DISCARD", "UNWATCH", "QUIT", "RESET",
        ] {
            specs[name] = KeySpec.none
        }
        for name in ["DEL", "UNLINK", "EXISTS", "TOUCH", "MGET", "WATCH", "SINTER", "SUNION", "SDIFF",
                     "SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE", "PFCOUNT", "PFMERGE"] {
            specs[name] = .allFrom(1)
        }
        for name in ["MSET", "MSETNX"] { specs[name] = .every(start: 1, step: 2) }
        for name in ["RENAME", "RENAMENX", "SMOVE", "LMOVE", "RPOPLPUSH", "COPY", "BLMOVE", "BRPOPLPUSH"] {
            specs[name] = .positions([1, 2])
        }
        for name in ["EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO"] { specs[name] = .counted(at: 2) }
        for name in ["XREAD", "XREADGROUP"] { specs[name] = .streams }
        for name in ["XGROUP", "XINFO", "OBJECT", "MEMORY"] { specs[name] = .at(2) }
        return specs
    }()

    /// The indices (in `ranges`, 0 being the name) of the command's keys.
    static func keyIndices(name: ArraySlice<UInt8>, ranges: [Range<Int>], storage: [UInt8]) -> [Int] {
        let upper = String(decoding: name, as: UTF8.self).uppercased()
        let argumentCount = ranges.count - 1
        switch keySpecs[upper] ?? .at(1) {
        case .none:
            return []
        case .at(let position):
            return position <= argumentCount ? [position] : []
        case .allFrom(let start):
            return start <= argumentCount ? Array(start...argumentCount) : []
        case .every(let start, let step):
            return start <= argumentCount ? Array(stride(from: start, through: argumentCount, by: step)) : []
        case .positions(let positions):
            return positions.filter { $0 <= argumentCount }
        case .counted(let position):
            guard position <= argumentCount,
                  let keyCount = Int(String(decoding: storage[ranges[position]], as: UTF8.self)), keyCount > 0
            else { return [] }
            return Array((position + 1)...min(argumentCount, position + keyCount))
        case .streams:
            guard let streams = (1...max(1, argumentCount)).first(where: { index in
                index <= argumentCount && String(decoding: storage[ranges[index]], as: UTF8.self).uppercased() == "STREAMS"
            }) else { return [] }
            let remaining = argumentCount - streams
            return remaining >= 2 ? Array((streams + 1)...(streams + remaining / 2)) : []
        }
    }
}
