extension Collection where Element == UInt8, Index == Int {
    /// Where `needle` first occurs at or after `start`, or nil (an empty needle occurs at `start`): the one
    /// byte search of the gateway's reads of request bodies and stream events.
    func firstIndex(ofBytes needle: some Collection<UInt8>, from start: Int) -> Int? {
        guard let first = needle.first else { return start }
        var index = start
        while index + needle.count <= endIndex {
            if self[index] == first, self[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }

    /// Whether `needle` (as UTF-8) occurs anywhere.
    func contains(bytesOf needle: String) -> Bool {
        firstIndex(ofBytes: needle.utf8, from: startIndex) != nil
    }
}
