import ArgumentParser
import Foundation

/// Runs a child process to completion with a time limit: past it the child is terminated and the run fails.
enum BoundedProcess {
    /// Runs `binary` with `arguments` and returns its standard output; throws if it runs longer than
    /// `timeout` seconds or exits with a non-zero status.
    static func output(_ binary: String, _ arguments: [String], timeout: Double) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let watchdog = DispatchWorkItem { MonitorCapture.stop(process) }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        watchdog.cancel()
        let text = String(decoding: data, as: UTF8.self)
        if process.terminationReason == .uncaughtSignal {
            throw ValidationError("\(binary) did not finish within \(Int(timeout)) s and was stopped")
        }
        guard process.terminationStatus == 0 else {
            throw ValidationError("\(binary) exited with status \(process.terminationStatus): \(text.suffix(500))")
        }
        return text
    }
}
