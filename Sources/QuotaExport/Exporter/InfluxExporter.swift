public import AsyncHTTPClient
public import AsyncRedis
public import Logging
public import ServiceLifecycle

/// Exports every recorded event to InfluxDB: reads the tenant streams `q:{t}:x` through the consumer
/// group `export`, writes batches of line protocol, and acknowledges entries only after InfluxDB stored them.
///
/// - Every tenant in `quotad:tenants` (re-read every ``InfluxExportConfiguration/tenantRefreshInterval``)
///   gets the group `export`, created at id `0` with MKSTREAM. Several quotad instances share the work: each
///   is one consumer of the group.
/// - After a restart, the instance first re-sends its own unacknowledged entries; entries pending at another
///   consumer for ``InfluxExportConfiguration/claimIdle`` (a dead instance) are claimed with XAUTOCLAIM.
/// - A batch is written when it holds ``InfluxExportConfiguration/batchSize`` points or its first point
///   waited ``InfluxExportConfiguration/flushInterval``. A failed write (connection, timeout, 5xx, 401, 404 …)
///   is retried with exponential backoff and jitter, capped at ``InfluxExportConfiguration/maximumBackoff``,
///   for as long as it takes: nothing is dropped. Points InfluxDB refuses as bad (400, 422) are logged,
///   counted as rejected and acknowledged: a poison point must not stop the stream.
/// - Sending a point again is harmless: same series, same timestamp, so InfluxDB overwrites it.
/// - Events trimmed from a stream before export (`export.max_backlog`, `events.retention_hours`) show as
///   gaps in the sequence numbers: counted in `quotad_export_dropped_points_total` and logged.
/// - On graceful shutdown it stops reading, writes what it has read (one attempt), acknowledges what was
///   written and returns; anything else stays pending for the next run or another instance.
public struct InfluxExporter: Service {
    let configuration: InfluxExportConfiguration
    let streams: ExportStreams
    let writer: InfluxWriter
    let encoder: LineProtocolEncoder
    let metrics: ExportMetrics
    let logger: Logger

    /// Creates the exporter.
    ///
    /// - Parameters:
    ///   - client: the Redis client (shared with the rest of the process; the exporter never blocks a connection).
    ///   - configuration: target and tuning.
    ///   - logger: where export events are logged.
    ///   - httpClient: the HTTP client for InfluxDB (the shared one by default).
    public init(client: RedisClient, configuration: InfluxExportConfiguration, logger: Logger, httpClient: HTTPClient = .shared) {
        self.configuration = configuration
        self.streams = ExportStreams(client: client, group: configuration.groupName, consumer: configuration.consumerName)
        self.writer = InfluxWriter(target: configuration.target, timeout: configuration.writeTimeout, client: httpClient)
        self.encoder = LineProtocolEncoder(measurement: configuration.measurement)
        self.metrics = ExportMetrics()
        self.logger = logger
    }

    /// Exports until graceful shutdown or cancellation.
    public func run() async throws {
        logger.info("influxdb export started", metadata: [
            "export.url": "\(configuration.target.baseURL)", "export.consumer": "\(configuration.consumerName)",
            "export.batch_size": "\(configuration.batchSize)",
        ])
        var state = ExportRunState()
        await withTaskGroup(of: Void.self) { group in
            // The lag is measured on its own, so it keeps rising while a write waits for InfluxDB.
            group.addTask { await reportLag() }
            while !isStopping {
                let batch = await collectBatch(&state)
                if !batch.isEmpty { await deliver(batch) }
            }
            group.cancelAll()
        }
        logger.info("influxdb export stopped")
    }

    var isStopping: Bool { Task.isShuttingDownGracefully || Task.isCancelled }

    /// Reads until the batch is full, its first point waited the flush interval, or shutdown begins.
    func collectBatch(_ state: inout ExportRunState) async -> ExportBatch {
        var batch = ExportBatch()
        var firstReadAt: ContinuousClock.Instant?
        while !isStopping {
            await refreshIfDue(&state)
            var progressed = false
            let tenants = state.tenants
            for offset in tenants.indices {
                let room = configuration.batchSize - batch.count
                if room <= 0 || isStopping { break }
                let tenant = tenants[(state.rotation + offset) % tenants.count]
                let events = await read(tenant: tenant, count: room, state: &state)
                if !events.isEmpty {
                    progressed = true
                    batch.add(events)
                    if firstReadAt == nil { firstReadAt = .now }
                }
            }
            state.rotation &+= 1
            if batch.count >= configuration.batchSize { return batch }
            if let firstReadAt, ContinuousClock.now - firstReadAt >= configuration.flushInterval { return batch }
            if !progressed {
                var pause = configuration.idlePollInterval
                if let firstReadAt { pause = min(pause, configuration.flushInterval - (ContinuousClock.now - firstReadAt)) }
                await pauseUnlessStopping(max(pause, .milliseconds(1)))
            }
        }
        return batch
    }

    /// Sleeps for `duration`, returning early at graceful shutdown or cancellation.
    func pauseUnlessStopping(_ duration: Duration) async {
        try? await cancelWhenGracefulShutdown {
            try await Task.sleep(for: duration)
        }
    }
}
