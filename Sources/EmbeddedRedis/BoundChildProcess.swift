internal import CHiredis
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Starts a child process that dies with this process, and waits for a line saying it is ready.
///
/// `posix_spawn` cannot ask for a parent-death signal, so the child is forked by a small C helper that sets
/// `PR_SET_PDEATHSIG` (Linux) between fork and exec: when this process ends — also by `kill -9` — the kernel
/// sends the child SIGKILL, so no orphan keeps the port or the data files. Linux sends that signal when the
/// *thread* that forked exits, so each child gets its own thread, which forks it, waits for the ready line,
/// then keeps draining its output (the child never blocks on a full pipe) until the child exits.
enum BoundChildProcess {
    /// How a start went.
    enum Outcome: Sendable {
        /// The child printed the ready marker.
        case ready(pid: pid_t)
        /// The child started but did not print the marker: it exited (`exited`) or the timeout passed.
        case notReady(pid: pid_t, exited: Bool, output: String)
        /// The child could not be started at all.
        case failed(String)
    }

    /// The signal the child gets when this process ends.
    static let deathSignal = SIGKILL

    /// Starts `arguments[0]` with `arguments` and returns once it printed `readyMarker`, exited, or
    /// `timeout` passed (the child is then still running: the caller kills it).
    static func start(_ arguments: [String], readyMarker: String, timeout: TimeInterval) -> Outcome {
        let result = OutcomeBox()
        let thread = Thread {
            var fds: [Int32] = [-1, -1]
            guard pipe(&fds) == 0 else {
                result.set(.failed("pipe() failed: \(String(cString: strerror(errno)))"))
                return
            }
            _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
            _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
            var cArguments: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
            let pid = chiredis_spawn_bound_child(arguments[0], &cArguments, environ, fds[1], deathSignal)
            for pointer in cArguments { free(pointer) }
            close(fds[1])
            guard pid > 0 else {
                close(fds[0])
                result.set(.failed("cannot start \(arguments[0]): \(String(cString: strerror(-pid)))"))
                return
            }
            let (ready, exited, output) = waitForMarker(fds[0], marker: readyMarker, timeout: timeout)
            result.set(ready ? .ready(pid: pid) : .notReady(pid: pid, exited: exited, output: output))
            // This thread must outlive the child (see above): drain until the child closes its output.
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = read(fds[0], &buffer, buffer.count)
                if count > 0 || (count < 0 && errno == EINTR) { continue }
                break
            }
            close(fds[0])
        }
        thread.name = "redis-server-child"
        thread.start()
        return result.wait()
    }

    /// Reads the child's output until `marker` appears (true), the output ends (`exited`), or `timeout`.
    private static func waitForMarker(_ fd: Int32, marker: String, timeout: TimeInterval) -> (ready: Bool, exited: Bool, output: String) {
        let deadline = Date().addingTimeInterval(timeout)
        var seen = ""
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let remaining = Int32(max(1, deadline.timeIntervalSinceNow * 1000))
            if poll(&pfd, 1, remaining) <= 0 { continue }
            let count = read(fd, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return (false, true, seen) }
            seen += String(decoding: buffer[0..<count], as: UTF8.self)
            if seen.contains(marker) { return (true, false, seen) }
        }
        return (false, false, seen)
    }

    /// Hands the start outcome from the child's thread to the caller.
    final class OutcomeBox {
        private let condition = NSCondition()
        private var outcome: Outcome?

        func set(_ value: Outcome) {
            condition.withLock {
                outcome = value
                condition.broadcast()
            }
        }

        func wait() -> Outcome {
            condition.withLock {
                while outcome == nil { condition.wait() }
                return outcome!
            }
        }
    }
}

// `outcome` is only read and written under `condition`.
extension BoundChildProcess.OutcomeBox: @unchecked Sendable {}
