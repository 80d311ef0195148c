import CoreMetrics

/// The client's swift-metrics instruments, created once per client.
///
/// Labels: `redis_commands_total`, `redis_command_errors_total` (dimension `code`),
/// `redis_command_duration_seconds` (timer), `redis_reconnects_total`, `redis_connect_failures_total`,
/// `redis_connection_losses_total`, `redis_timeouts_total`, `redis_script_reloads_total`.
struct RedisMetrics: Sendable {
    let commands: Counter
    let reconnects: Counter
    let connectFailures: Counter
    let connectionLosses: Counter
    let timeouts: Counter
    let scriptReloads: Counter
    let latency: Timer
    private let errorCounters: [String: Counter]

    init(dimensions: [(String, String)]) {
        commands = Counter(label: "redis_commands_total", dimensions: dimensions)
        reconnects = Counter(label: "redis_reconnects_total", dimensions: dimensions)
        connectFailures = Counter(label: "redis_connect_failures_total", dimensions: dimensions)
        connectionLosses = Counter(label: "redis_connection_losses_total", dimensions: dimensions)
        timeouts = Counter(label: "redis_timeouts_total", dimensions: dimensions)
        scriptReloads = Counter(label: "redis_script_reloads_total", dimensions: dimensions)
        latency = Timer(label: "redis_command_duration_seconds", dimensions: dimensions, preferredDisplayUnit: .seconds)
        var errors: [String: Counter] = [:]
        for code in [RedisError.Code.notConnected, .timeout, .connectionLost, .serverError, .protocolError, .clientShutdown, .crossSlot, .notReplicated] {
            errors[code.description] = Counter(label: "redis_command_errors_total", dimensions: dimensions + [("code", code.description)])
        }
        errorCounters = errors
    }

    func recordError(_ code: RedisError.Code) {
        errorCounters[code.description]?.increment()
    }
}
