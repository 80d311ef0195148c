import ArgumentParser
import Foundation

/// Records the commands clients send to a Redis server while some work runs, with `redis-cli MONITOR`:
/// the exact command lines (script SHA, keys, arguments) our repository sends, so that redis-benchmark can
/// replay the identical commands. Bounded by a time limit: past it `redis-cli` is stopped and the capture fails.
enum MonitorCapture {
    /// Runs `work` while `MONITOR` is attached, then `mark(sentinel)` (which must send `ECHO sentinel`),
    /// and returns every client command seen in between (not the commands scripts issue), as argument lists.
    static func commands(
        redisCLI: String, host: String, port: Int, timeout: Duration = .seconds(30),
        during work: () async throws -> Void, mark: (String) async throws -> Void
    ) async throws -> [[String]] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: redisCLI)
        process.arguments = ["-h", host, "-p", String(port), "MONITOR"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        let (chunks, continuation) = AsyncStream.makeStream(of: Data.self)
        let handle = pipe.fileHandleForReading
        try process.run()
        // The reader blocks in read(2): it gets a thread of its own, never one of the cooperative pool.
        let reader = Thread {
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                continuation.yield(data)
            }
            continuation.finish()
        }
        reader.start()
        let watchdog = Task {
            try? await Task.sleep(for: timeout)
            stop(process)
        }
        var iterator = chunks.makeAsyncIterator()
        var text = ""
        func readUntil(_ needle: String) async throws {
            while !text.contains(needle) {
                guard let data = await iterator.next() else {
                    throw ValidationError("redis-cli MONITOR ended before '\(needle)' appeared (time limit \(timeout))")
                }
                text += String(decoding: data, as: UTF8.self)
            }
        }
        let start: Int
        do {
            try await readUntil("OK\n")
            start = text.utf8.count
            try await work()
            let sentinel = "quota-bench-monitor-\(UUID().uuidString)"
            try await mark(sentinel)
            try await readUntil(sentinel)
        } catch {
            stop(process)
            watchdog.cancel()
            throw error
        }
        // Stop redis-cli and read to the end of its output: the reader then ends and Foundation reaps the child.
        stop(process)
        while await iterator.next() != nil {}
        watchdog.cancel()
        return Substring(text.utf8.dropFirst(start)).split(separator: "\n").compactMap { line in
            guard let close = line.firstIndex(of: "]"), !line[..<close].hasSuffix("lua") else { return nil }
            return parseQuoted(line[line.index(after: close)...])
        }
    }

    /// Kills the child with SIGKILL: a child spawned from a Dispatch or cooperative-pool thread inherits that
    /// thread's blocked-signal mask (SIGTERM included), so `Process.terminate()` would not end it.
    static func stop(_ process: Process) {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// The quoted arguments of a MONITOR line (escaped as by Redis's `sdscatrepr`).
    static func parseQuoted(_ text: Substring) -> [String] {
        var arguments: [String] = []
        var bytes = Array(text.utf8)[...]
        while let open = bytes.firstIndex(of: UInt8(ascii: "\"")) {
            bytes = bytes[(open + 1)...]
            var value: [UInt8] = []
            while let byte = bytes.first {
                bytes = bytes.dropFirst()
                if byte == UInt8(ascii: "\"") { break }
                guard byte == UInt8(ascii: "\\"), let escaped = bytes.first else {
                    value.append(byte)
                    continue
                }
                bytes = bytes.dropFirst()
                switch escaped {
                case UInt8(ascii: "n"): value.append(10)
                case UInt8(ascii: "r"): value.append(13)
                case UInt8(ascii: "t"): value.append(9)
                case UInt8(ascii: "a"): value.append(7)
                case UInt8(ascii: "b"): value.append(8)
                case UInt8(ascii: "x"):
                    let hex = String(decoding: bytes.prefix(2), as: UTF8.self)
                    bytes = bytes.dropFirst(2)
                    value.append(UInt8(hex, radix: 16) ?? 0)
                default: value.append(escaped)
                }
            }
            arguments.append(String(decoding: value, as: UTF8.self))
        }
        return arguments
    }
}
