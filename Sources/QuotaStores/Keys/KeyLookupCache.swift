import Synchronization

/// A short-lived in-process cache of positive tenant-key lookups (digest → tenant and key id).
///
/// Entries live at most ``ttl`` (≤ 1 s), so a key revoked on another instance stops working within that
/// time; a revocation through this instance evicts at once. Only digests are held, never secrets.
final class KeyLookupCache: Sendable {
    struct Entry: Sendable {
        var tenant: String
        var keyID: String
        var scopes: Set<KeyScope>
        var expires: ContinuousClock.Instant
    }

    let ttl: Duration
    private let maximumEntries: Int
    private let entries = Mutex<[String: Entry]>([:])

    init(ttl: Duration, maximumEntries: Int = 10_000) {
        self.ttl = min(ttl, .seconds(1))
        self.maximumEntries = maximumEntries
    }

    func get(_ digestHex: String) -> (tenant: String, keyID: String, scopes: Set<KeyScope>)? {
        guard ttl > .zero else { return nil }
        let now = ContinuousClock.now
        return entries.withLock { entries in
            guard let entry = entries[digestHex] else { return nil }
            if entry.expires <= now {
                entries[digestHex] = nil
                return nil
            }
            return (entry.tenant, entry.keyID, entry.scopes)
        }
    }

    func put(_ digestHex: String, tenant: String, keyID: String, scopes: Set<KeyScope>) {
        guard ttl > .zero else { return }
        let entry = Entry(tenant: tenant, keyID: keyID, scopes: scopes, expires: ContinuousClock.now + ttl)
        entries.withLock { entries in
            if entries.count >= maximumEntries { entries.removeAll(keepingCapacity: true) }
            entries[digestHex] = entry
        }
    }

    func evict(_ digestHex: String) {
        _ = entries.withLock { $0.removeValue(forKey: digestHex) }
    }
}
