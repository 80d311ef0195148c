/// The Redis Cluster hash slot of a key: CRC16 (XMODEM) of the key's hash tag, modulo 16384.
///
/// The hash tag rule is the specification's: when the key contains a `{` followed later by a `}` with at
/// least one byte between them, only the bytes between the first `{` and the first `}` after it are hashed;
/// otherwise (no `{`, no `}` after it, or an empty `{}`) the whole key is.
/// See <https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/#hash-tags>.
public enum ClusterHashSlot {
    /// The number of hash slots of a Redis Cluster.
    public static let count = 16384

    /// The slot of a key given as UTF-8 text.
    public static func slot(of key: String) -> Int {
        var key = key
        return key.withUTF8 { slot(ofBytes: $0) }
    }

    /// The slot of a binary key.
    public static func slot(ofBytes key: some Collection<UInt8>) -> Int {
        if let slot = key.withContiguousStorageIfAvailable({ slot(ofBuffer: $0) }) { return slot }
        return Array(key).withUnsafeBufferPointer { slot(ofBuffer: $0) }
    }

    /// CRC16-CCITT/XMODEM (polynomial 0x1021, initial value 0, no reflection), as Redis Cluster uses it.
    public static func crc16(_ bytes: some Collection<UInt8>) -> UInt16 {
        if let crc = bytes.withContiguousStorageIfAvailable({ crc16(buffer: $0) }) { return crc }
        return Array(bytes).withUnsafeBufferPointer { crc16(buffer: $0) }
    }

    static func slot(ofBuffer key: UnsafeBufferPointer<UInt8>) -> Int {
        if let open = key.firstIndex(of: UInt8(ascii: "{")) {
            if let close = key[(open + 1)...].firstIndex(of: UInt8(ascii: "}")), close > open + 1 {
                return Int(crc16(buffer: UnsafeBufferPointer(rebasing: key[(open + 1)..<close])) & 0x3FFF)
            }
        }
        return Int(crc16(buffer: key) & 0x3FFF)
    }

    static func crc16(buffer: UnsafeBufferPointer<UInt8>) -> UInt16 {
        var crc: UInt16 = 0
        for byte in buffer {
            crc = (crc << 8) ^ table[Int((crc >> 8) ^ UInt16(byte))]
        }
        return crc
    }

    private static let table: [UInt16] = (0..<256).map { index in
        var crc = UInt16(index) << 8
        for _ in 0..<8 {
            crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1
        }
        return crc
    }
}
