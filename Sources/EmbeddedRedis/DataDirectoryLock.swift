public import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive lock on a data directory, so two processes never run a server on the same files.
///
/// It is an `flock(2)` on `<directory>/quotad.lock`, taken without waiting; the file holds the owner's pid
/// for the error message. The kernel releases the lock when the process exits, also on `kill -9`, so a lock
/// file left behind by a dead process never blocks the next start. The descriptor is close-on-exec: child
/// processes do not inherit the lock. Hold the value for as long as the directory is in use.
public final class DataDirectoryLock: Sendable {
    /// The lock file's path.
    public let path: String
    private let descriptor: Mutex<Int32>

    /// The lock file's name inside the data directory.
    public static let fileName = "quotad.lock"

    /// Takes the lock or fails at once.
    ///
    /// - Parameters:
    ///   - directory: the data directory (it must exist).
    ///   - displayName: how the directory is named in the error (as the user configured it, e.g. `./data`).
    ///   - owner: what kind of process holds it, for the error message.
    /// - Throws: ``DataDirectoryLockError`` naming the directory and the holder's pid when another process
    ///   (or another lock in this process) holds it, or when the lock file cannot be opened.
    public init(directory: URL, displayName: String? = nil, owner: String = "quotad") throws(DataDirectoryLockError) {
        let name = displayName ?? directory.path
        let path = directory.appendingPathComponent(DataDirectoryLock.fileName).path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw DataDirectoryLockError(
                directory: name, isInUse: false, holder: nil, reason: "cannot open the lock file \(path): \(String(cString: strerror(errno)))"
            )
        }
        var rc: Int32
        repeat { rc = flock(fd, LOCK_EX | LOCK_NB) } while rc != 0 && errno == EINTR
        if rc != 0 {
            let savedErrno = errno
            let holder = DataDirectoryLock.readPid(fd)
            close(fd)
            if savedErrno == EWOULDBLOCK {
                let who = holder.map { "pid \($0)" } ?? "pid unknown"
                throw DataDirectoryLockError(
                    directory: name, isInUse: true, holder: holder, reason: "data directory \(name) is in use by another \(owner) (\(who))"
                )
            }
            throw DataDirectoryLockError(
                directory: name, isInUse: false, holder: nil, reason: "cannot lock \(path): \(String(cString: strerror(savedErrno)))"
            )
        }
        // Ours now: record our pid (a stale pid from a dead owner is overwritten).
        let text = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        self.path = path
        self.descriptor = Mutex(fd)
    }

    deinit {
        release()
    }

    /// Releases the lock (closing the descriptor); later calls do nothing. The file stays.
    public func release() {
        descriptor.withLock { fd in
            if fd >= 0 {
                close(fd)
                fd = -1
            }
        }
    }

    private static func readPid(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return Int32(text)
    }
}
