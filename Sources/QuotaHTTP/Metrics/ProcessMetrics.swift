import Foundation

/// The standard Prometheus `process_*` metrics, read from `/proc/self` at scrape time (Linux; empty elsewhere):
/// `process_cpu_seconds_total`, `process_resident_memory_bytes`, `process_virtual_memory_bytes`,
/// `process_open_fds`, `process_max_fds`, `process_start_time_seconds`.
enum ProcessMetrics {
    /// The exposition text of the process metrics.
    static func render() -> String {
        #if os(Linux)
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")")
        else { return "" }
        // Fields after the command name (which may contain spaces), numbered from 3 (state).
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        func field(_ number: Int) -> Double? { fields.count > number - 3 ? Double(fields[number - 3]) : nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        var lines: [String] = []
        func metric(_ name: String, _ type: String, _ help: String, _ value: Double?) {
            guard let value else { return }
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) \(type)")
            lines.append("\(name) \(value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value))")
        }
        let cpu = (field(14) ?? 0) + (field(15) ?? 0)
        metric("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", cpu / ticks)
        metric("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", field(23))
        metric("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", field(24).map { $0 * pageSize })
        if let startTicks = field(22), let uptime = try? String(contentsOfFile: "/proc/uptime", encoding: .utf8),
           let seconds = uptime.split(separator: " ").first.flatMap({ Double($0) })
        {
            let bootTime = Date().timeIntervalSince1970 - seconds
            metric("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.", (bootTime + startTicks / ticks).rounded())
        }
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count).map(Double.init)
        metric("process_open_fds", "gauge", "Number of open file descriptors.", fds)
        var limit = rlimit()
        if getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 {
            metric("process_max_fds", "gauge", "Maximum number of open file descriptors.", Double(limit.rlim_cur))
        }
        return lines.joined(separator: "\n") + "\n"
        #else
        return ""
        #endif
    }
}
