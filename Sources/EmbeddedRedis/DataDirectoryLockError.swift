/// A data directory could not be locked: another process uses it, or the lock file is unusable.
public struct DataDirectoryLockError: Error, Sendable, CustomStringConvertible {
    /// The directory as it was named to ``DataDirectoryLock/init(directory:displayName:owner:)``.
    public var directory: String
    /// True when another process (or another lock in this process) holds the directory.
    public var isInUse: Bool
    /// The pid recorded by the process holding the lock, when another process holds it.
    public var holder: Int32?
    /// The full explanation, e.g. `data directory ./data is in use by another quotad (pid 4242)`.
    public var reason: String
    public var description: String { reason }
}
