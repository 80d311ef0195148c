import AsyncRedis

extension ExportEntry {
    /// The entries of one stream in a reply shaped `[[id, [field, value, …]], …]` (XRANGE, the entries of
    /// one XREADGROUP stream, XAUTOCLAIM's claimed entries).
    ///
    /// - Returns: the events, the ids of entries whose fields are nil (deleted from the stream while
    ///   still pending: trimmed before they were exported), and the last id of the reply.
    static func entries(_ reply: RedisReply, tenant: String) -> (events: [ExportEntry], deleted: [String], lastID: String?) {
        guard let elements = reply.array else { return ([], [], nil) }
        var lastID: String?
        var events: [ExportEntry] = []
        var deleted: [String] = []
        events.reserveCapacity(elements.count)
        for element in elements {
            guard let pair = element.array, pair.count == 2, let id = pair[0].text else { continue }
            lastID = id
            guard let values = pair[1].array else {
                deleted.append(id)
                continue
            }
            var fields: [String: String] = [:]
            fields.reserveCapacity(values.count / 2)
            var index = 0
            while index + 1 < values.count {
                if let name = values[index].text, let value = values[index + 1].text { fields[name] = value }
                index += 2
            }
            events.append(ExportEntry(tenant: tenant, streamID: id, fields: fields))
        }
        return (events, deleted, lastID)
    }
}
